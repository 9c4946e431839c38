"""Gate ``accuracy``: the served model against the thresholds, a trivial baseline and the champion.

The candidate judged is the model the service runs: ``model/model.onnx``, fed the holdout rows
as stored under ``data/`` through the service's own request path, so that a transformation
training applies and the service does not shows here. Its scores must be the ones the record
claims, and better than a trivial model's by the policy's margins. The gate derives the split
itself from ``data/`` and the policy, and checks the record's fingerprints of the rows the model
was fitted and judged on against it.
"""

import json
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from ...core import ProjectError, inputs
from ...core.accuracy import (
    Judged,
    Rows,
    dishonest_split,
    holdout_change,
    served_mismatch,
    short_of_baseline,
)
from ...core.comparison import paired_bootstrap, schema_change
from ...core.gates import GateResult, Table, listing
from ...core.metrics import (
    METRICS,
    is_better_or_equal,
    outputs,
    score_all,
)
from ...core.policy import Policy
from ...io import onnx_model, registry
from ...io.data import Split, fingerprint, request_rows, snapshot, split, split_settings
from .. import Holdout, holdout

# "gain" is candidate minus champion, signed so that positive means better for every metric.
COLUMNS = [
    "metric",
    "threshold",
    "candidate",
    "champion",
    "gain",
    "gain interval",
    "record",
    "baseline",
    "verdict",
]
# scikit-learn's dummy estimators, fitted on the training split: what "no model" scores.
BASELINE = {
    "classification": "the majority-class baseline",
    "multiclass": "the majority-class baseline",
    "regression": "the mean baseline",
}


def check(root: Path) -> GateResult:
    """Score the served candidate, a baseline and the champion on the same holdout; judge them."""
    data = holdout(root)
    rules, y = data.rules, data.y.to_numpy()
    parts = split(data.frame, data.schema, rules)  # derived here, whatever training did
    candidate = onnx_model.load(root, data.record).predict(served_inputs(data))
    scores = score_all(rules.task, y, *candidate)
    trivial = score_all(rules.task, y, *baseline(rules.task, parts))
    recorded = data.record.metrics
    champion, model, changed = rival(data)
    rival_outputs = None if model is None else outputs(model, data.x, rules.task)

    failures, note = _honesty(root, data, parts, champion)
    first = {name: scores[name] for name in [*rules.thresholds, *scores]}  # thresholded first
    mismatch = served_mismatch(first, recorded, rules.gates.accuracy.served_tolerance)
    failures += [mismatch] if mismatch else []
    rows = []
    for name, threshold in rules.thresholds.items():
        row, problems = _judge(
            name, threshold.bound, scores[name], y, candidate, rival_outputs, rules
        )
        margin = {name: rules.gates.accuracy.baseline_margin[name]}
        problems += short_of_baseline(scores, trivial, margin, BASELINE[rules.task])
        rows.append(row[:-1] + [recorded.get(name), trivial[name], _verdict(problems)])
        failures += problems
    figures = {
        "candidate": {"version": data.record.model.version, "metrics": scores},
        "champion": champion,
        "record": recorded,
        "baseline": {"model": BASELINE[rules.task], "metrics": trivial},
        "holdout_rows": len(y),
        "holdout": note,
    }
    table = Table(COLUMNS, rows)
    if changed is not None:
        failures.append(changed)
    if failures:
        reason = f"candidate rejected: {listing(failures)}"
        return GateResult("accuracy", False, reason, figures, table)
    honest = (
        f"the served model scores what the record claims, better than {BASELINE[rules.task]} "
        f"by every margin, fitted on the training split alone"
    )
    if champion is None:
        reason = f"no champion yet: judged on the policy's thresholds alone, all met; {honest}."
    else:
        reason = (
            f"all thresholds met, and no metric worse than champion version "
            f"{champion['version']} beyond its tolerance on {len(y)} holdout rows; {honest}; "
            f"{note}."
        )
    return GateResult("accuracy", True, reason, figures, table)


def served_inputs(data: Holdout) -> dict[str, np.ndarray]:
    """The holdout rows as ``data/`` holds them, made the exported model's inputs the service's way.

    The rows are taken from the data as read, not from any copy training made. Each becomes a
    request row (a missing value as null), is validated by the service's request model and
    turned into model inputs by the function the service calls. Any exported model of these
    features (the candidate's, the champion's) takes them.
    """
    features = data.schema.features(exclude=data.rules.data.excluded_features)
    row = inputs.row_model(features)
    raw = data.frame.loc[data.x.index, [column.name for column in features]]
    requests = []
    for number, item in zip(raw.index, request_rows(raw)):
        try:
            requests.append(row.model_validate_json(json.dumps(item)))
        except ValidationError as error:
            first = error.errors()[0]
            raise ProjectError(
                f"row {number} of data/ is refused by the service: {first['loc']} {first['msg']}"
            ) from None
    return inputs.columns(requests, features)


def baseline(task: str, parts: Split) -> tuple:
    """The outputs of scikit-learn's dummy estimator, fitted on the training split, on the holdout.

    The majority class, with the training split's class shares as probabilities; or the mean.
    """
    from sklearn.dummy import DummyClassifier, DummyRegressor

    dummy = (
        DummyRegressor(strategy="mean")
        if task == "regression"
        else DummyClassifier(strategy="prior")
    )
    return outputs(dummy.fit(parts.x_train, parts.y_train), parts.x_holdout, task)


def _honesty(root: Path, data: Holdout, parts: Split, champion: dict | None) -> tuple:
    """Problems with the rows the model was fitted and judged on, and a note on the holdout.

    The note says whether the holdout is the one the champion was judged on, and if not why.
    """
    frame = data.frame
    fit = Rows(**fingerprint(frame, parts.x_train.index))
    held = Rows(**fingerprint(frame, parts.x_holdout.index))
    everything = Rows(**fingerprint(frame, frame.index))
    shared = len(parts.x_train.index.intersection(parts.x_holdout.index))
    problems = dishonest_split(data.record.split, fit, held, everything, shared)
    if champion is None or not champion.get("run_id"):
        return problems, ""
    tags = registry.run_tags(champion["run_id"])
    theirs = Judged(*(tags.get(key, "") for key in ("holdout_sha256", "data_sha256", "split")))
    ours = Judged(held.sha256, snapshot(root)[1], split_settings(data.rules))
    problem, note = holdout_change(ours, theirs, champion["version"])
    return problems + ([problem] if problem else []), note


def rival(data: Holdout) -> tuple[dict | None, object, str | None]:
    """The champion, its model if it takes the candidate's inputs, and why not if it does not.

    A champion trained on other inputs cannot be scored on today's holdout: its model is then
    None and the reason names the columns added and removed.
    """
    champion = registry.champion()
    if champion is None:
        return None, None, None
    model = registry.load_model(champion["uri"])
    names = getattr(model, "feature_names_in_", None)
    before = list(data.x.columns) if names is None else [str(name) for name in names]
    changed = schema_change(champion["version"], before, list(data.x.columns), "inputs")
    return champion, (model if changed is None else None), changed


def _judge(name, bound, value, y, candidate, rival, rules: Policy) -> tuple[list, list[str]]:
    problems = []
    sign = ">=" if METRICS[name].higher_is_better else "<="
    if not is_better_or_equal(name, value, bound):
        problems.append(f"{name} {value:.4g} misses the threshold {sign} {bound:g}")
    if rival is None:
        return [name, f"{sign} {bound:g}", value, None, None, None, _verdict(problems)], problems
    settings = rules.gates.accuracy
    pick = 1 if METRICS[name].uses_scores else 0
    difference = paired_bootstrap(
        name,
        y,
        candidate[pick],
        rival[pick],
        settings.bootstrap_samples,
        settings.confidence,
        rules.data.seed,
    )
    tolerance = settings.champion_tolerance[name]
    if difference.worse_beyond(tolerance):
        problems.append(
            f"{name} is worse than the champion by {-difference.delta:.4g} "
            f"(interval {difference.low:.4g} to {difference.high:.4g}, tolerance {tolerance:g})"
        )
    champion_value = value - difference.delta * (1 if METRICS[name].higher_is_better else -1)
    interval = f"{difference.low:+.4g} to {difference.high:+.4g}"
    row = [name, f"{sign} {bound:g}", value, champion_value, difference.delta, interval]
    return row + [_verdict(problems)], problems


def _verdict(problems: list[str]) -> str:
    return "fail" if problems else "pass"
