"""The metrics the policy may name, with the direction in which each one improves."""

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Metric:
    """A scoring function and whether a larger value is better."""

    task: str
    higher_is_better: bool
    score: Callable[[np.ndarray, np.ndarray], float]
    scorer: str  # scikit-learn's scorer name, for permutation importance
    uses_scores: bool = False  # classification: scored on the positive-class probability


def _sklearn(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """Scikit-learn's metric ``name``, imported when first scored: the service needs only names."""

    def score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        from sklearn import metrics as sk

        return getattr(sk, name)(y_true, y_pred)

    return score


def _rmsle(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    # RMSLE is defined for non-negative values; a negative prediction counts as zero.
    return float(_sklearn("root_mean_squared_log_error")(y_true, np.clip(y_pred, 0, None)))


METRICS: dict[str, Metric] = {
    "accuracy": Metric("classification", True, _sklearn("accuracy_score"), "accuracy"),
    "f1": Metric("classification", True, _sklearn("f1_score"), "f1"),
    "roc_auc": Metric(
        "classification", True, _sklearn("roc_auc_score"), "roc_auc", uses_scores=True
    ),
    "log_loss": Metric(
        "classification", False, _sklearn("log_loss"), "neg_log_loss", uses_scores=True
    ),
    "mse": Metric("regression", False, _sklearn("mean_squared_error"), "neg_mean_squared_error"),
    "mae": Metric("regression", False, _sklearn("mean_absolute_error"), "neg_mean_absolute_error"),
    "rmsle": Metric("regression", False, _rmsle, "neg_root_mean_squared_log_error"),
    "r2": Metric("regression", True, _sklearn("r2_score"), "r2"),
}


def metrics_for(task: str) -> list[str]:
    """Names of the metrics that apply to ``task``, in a stable order."""
    return [name for name, metric in METRICS.items() if metric.task == task]


def score_all(
    task: str, y_true: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None = None
) -> dict[str, float]:
    """Every metric of ``task``; ``scores`` are positive-class probabilities (classification)."""
    results = {}
    for name in metrics_for(task):
        metric = METRICS[name]
        results[name] = float(metric.score(y_true, scores if metric.uses_scores else predicted))
    return results


def outputs(model, x, task: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A fitted model's predictions, and positive-class probabilities for classification."""
    scores = model.predict_proba(x)[:, 1] if task == "classification" else None
    return model.predict(x), scores


def is_better_or_equal(name: str, value: float, bound: float) -> bool:
    """Whether ``value`` is at least as good as ``bound`` for metric ``name``."""
    return value >= bound if METRICS[name].higher_is_better else value <= bound
