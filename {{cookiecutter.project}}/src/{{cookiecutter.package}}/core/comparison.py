"""Candidate against champion on the same holdout, with holdout noise taken into account."""

from dataclasses import dataclass

import numpy as np
import sklearn

from .metrics import METRICS


@dataclass(frozen=True)
class Difference:
    """How much better the candidate is (negative: worse), with a bootstrap interval."""

    delta: float
    low: float
    high: float

    def worse_beyond(self, tolerance: float) -> bool:
        """Worse by more than ``tolerance``, and worse beyond noise (the interval excludes 0)."""
        return self.delta < -tolerance and self.high < 0


def paired_bootstrap(
    name: str,
    y: np.ndarray,
    candidate: np.ndarray,
    champion: np.ndarray,
    samples: int,
    confidence: float,
    seed: int,
) -> Difference:
    """Bootstrap the candidate-minus-champion difference of metric ``name``.

    The difference is signed so that positive means better, and the holdout rows both models
    are scored on are resampled together (paired), so shared noise cancels.
    """
    metric = METRICS[name]
    sign = 1.0 if metric.higher_is_better else -1.0

    def gap(rows: np.ndarray) -> float:
        truth = y[rows]
        return sign * (metric.score(truth, candidate[rows]) - metric.score(truth, champion[rows]))

    rng = np.random.default_rng(seed)
    every = np.arange(len(y))
    classes = len(np.unique(y))
    draws = []
    # The inputs were checked once already; skipping scikit-learn's checks halves the time.
    with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        for _ in range(samples):
            rows = rng.choice(every, size=len(every), replace=True)
            if metric.uses_scores and len(np.unique(y[rows])) < classes:
                continue  # a resample that lacks a class has no ROC AUC
            draws.append(gap(rows))
    tail = (1 - confidence) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Difference(delta=gap(every), low=float(low), high=float(high))


def schema_change(version: str, before: list[str], after: list[str], what: str) -> str | None:
    """Why candidate and champion cannot be compared like for like, or None if they can.

    ``before`` are the champion's columns (``what``: "inputs" or "data columns"), ``after``
    the candidate's.
    """
    added = [name for name in after if name not in before]
    removed = [name for name in before if name not in after]
    if not added and not removed:
        return None
    changes = [f"{verb} {names}" for verb, names in [("add", added), ("remove", removed)] if names]
    return (
        f"the champion (version {version}) was trained on {what} {before}; the candidate's {what} "
        f"{' and '.join(changes)}: the comparison cannot run like for like; promote a model of "
        "the new schema deliberately with `make promote` after review"
    )
