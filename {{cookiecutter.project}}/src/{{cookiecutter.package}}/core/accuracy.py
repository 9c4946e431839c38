"""Verdicts of the accuracy gate beyond its thresholds and the champion, without I/O.

``jobs/gates/accuracy.py`` gathers the figures: the served model's scores on the raw holdout
rows, the scores the record claims, a trivial baseline's, and fingerprints of the rows the model
was fitted and judged on. Each function here judges one of them and says why in a sentence.
"""

from dataclasses import dataclass

from .metrics import METRICS
from .record import Split


@dataclass(frozen=True)
class Rows:
    """Some rows of ``data/``: how many, and their fingerprint (sha256 of the sorted row hashes)."""

    rows: int
    sha256: str

    def shown(self) -> str:
        """``3919 rows (4f2a9c01b7e3)``."""
        return f"{self.rows} rows ({self.sha256[:12]})"


@dataclass(frozen=True)
class Judged:
    """The holdout a model was judged on, with what it was split from: the data and the split."""

    holdout: str  # fingerprint of the holdout rows; "" when the model's run did not record it
    data_sha256: str
    split: str  # the policy's split settings, e.g. "holdout 0.25, seed 42"


def gain(name: str, value: float, reference: float) -> float:
    """How much better ``value`` is than ``reference`` for metric ``name`` (negative: worse)."""
    return (value - reference) if METRICS[name].higher_is_better else (reference - value)


def served_mismatch(
    served: dict[str, float], recorded: dict[str, float], tolerance: float
) -> str | None:
    """Why the served model's scores are not the record's, or None if each is within tolerance.

    ``served`` are the scores of the exported model on the raw holdout rows, ``recorded`` the
    ones ``make evaluate`` wrote. The tolerance is relative to the value where it is larger
    than 1 (a mean squared error in a target's units, say). The first three that differ are
    named, with both figures.
    """
    missing = [name for name in served if name not in recorded]
    if missing:
        return f"the record has no {', '.join(missing)} (run `make evaluate`)"
    apart = [
        name
        for name in served
        if abs(served[name] - recorded[name]) > tolerance * max(1.0, abs(recorded[name]))
    ]
    if not apart:
        return None
    figures = ", ".join(
        f"{name} {served[name]:.4g} (record {recorded[name]:.4g})" for name in apart[:3]
    )
    more = f" and {len(apart) - 3} more metrics" if len(apart) > 3 else ""
    return (
        f"the served model (model/model.onnx on the raw holdout rows, as the service takes them) "
        f"scores {figures}{more}, beyond the tolerance {tolerance:g}: training saw its inputs "
        "otherwise than the service will (a recoding or a clip outside the pipeline?)"
    )


def short_of_baseline(
    scores: dict[str, float], baseline: dict[str, float], margins: dict[str, float], what: str
) -> list[str]:
    """Each metric where the model does not beat the trivial baseline ``what`` by its margin."""
    problems = []
    for name, margin in margins.items():
        ahead = gain(name, scores[name], baseline[name])
        if ahead < margin:
            problems.append(
                f"{name} {scores[name]:.4g} is not better than {what}'s {baseline[name]:.4g} "
                f"by the margin {margin:g} (by {ahead:.4g})"
            )
    return problems


def dishonest_split(
    recorded: Split | None, fit: Rows, holdout: Rows, everything: Rows, shared: int
) -> list[str]:
    """Why the model's holdout is not honest, if it is not.

    ``recorded`` is the record's ``split`` (the rows training fitted on and judged on, as
    training wrote them); ``fit`` and ``holdout`` are the split the gate derived itself from
    ``data/`` and the policy, ``everything`` all rows of ``data/``, and ``shared`` the number of
    rows that split puts on both sides.
    """
    if shared:
        return [f"the policy's split of data/ puts {shared} rows both in training and in holdout"]
    if not recorded:
        return [
            "the record carries no fingerprint of the rows the model was fitted on and judged "
            "on: retrain with `make train evaluate`"
        ]
    claimed = {
        "fit": Rows(recorded.fit.rows, recorded.fit.sha256),
        "holdout": Rows(recorded.holdout.rows, recorded.holdout.sha256),
    }
    problems = []
    if claimed["holdout"] != holdout:
        problems.append(
            f"the model was judged on {claimed['holdout'].shown()}, not on the holdout that "
            f"the policy's split of data/ gives, {holdout.shown()}"
        )
    if claimed["fit"] == everything:
        problems.append(
            f"the model was fitted on all {everything.rows} rows of data/, the {holdout.rows} "
            "holdout rows included: its holdout scores measure memory, not generalisation"
        )
    elif claimed["fit"] != fit:
        problems.append(
            f"the model was fitted on {claimed['fit'].shown()}, not on the training split, "
            f"{fit.shown()}: rows other than the training split may include holdout rows"
        )
    return problems


def holdout_change(candidate: Judged, champion: Judged, version: str) -> tuple[str | None, str]:
    """Whether the candidate's holdout is the champion's: (a problem or None, a note).

    A different holdout is explained by changed data or a changed split in the policy; with
    neither, the split itself changed and the two models' holdout scores are not comparable.
    """
    who = f"champion version {version}"
    if not champion.holdout:
        return None, f"{who} carries no holdout fingerprint (trained before they were recorded)"
    if champion.holdout == candidate.holdout:
        return None, f"the holdout is the one {who} was judged on"
    differs = f"the holdout differs from the one {who} was judged on"
    if champion.data_sha256 != candidate.data_sha256:
        was, now = champion.data_sha256[:12], candidate.data_sha256[:12]
        return None, f"{differs} because the data changed (sha256 {was} became {now})"
    if champion.split != candidate.split:
        change = f"the policy's split changed ({champion.split} became {candidate.split})"
        return None, f"{differs} because {change}"
    return (
        f"{differs}, though the data and the policy's split are the same: the split code "
        "changed, so holdout scores are not comparable with the champion's"
    ), ""
