"""The metrics the policy may name, with the tasks they fit and the direction they improve in.

Tasks: ``classification`` (binary: scores are the positive class's probability), ``multiclass``
(scores are one probability per class, in the schema's order of classes) and ``regression``.
"""

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

BINARY, MULTICLASS, REGRESSION = "classification", "multiclass", "regression"
CLASSIFIERS = (BINARY, MULTICLASS)


@dataclass(frozen=True)
class Metric:
    """A scoring function, the tasks it fits and whether a larger value is better."""

    tasks: tuple[str, ...]
    higher_is_better: bool
    score: Callable[[np.ndarray, np.ndarray], float]
    scorer: str  # scikit-learn's scorer name, for permutation importance
    uses_scores: bool = False  # scored on probabilities rather than predicted labels

    def on(self, y_true: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> float:
        """The metric of a model's predicted labels, or of its probabilities if it uses them."""
        if not self.uses_scores:
            return float(self.score(y_true, predicted))
        if scores is None:
            raise ValueError(f"{self.scorer} is scored on probabilities, and there are none")
        return float(self.score(y_true, scores))


def _sklearn(name: str, **options: Any) -> Callable[[np.ndarray, np.ndarray], float]:
    """Scikit-learn's metric ``name``, imported when first scored: the service needs only names.

    For probabilities of several classes, every class is named (``labels``), so a resample
    that lacks one is still scored against all of them.
    """

    def score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        from sklearn import metrics as sk

        extra = dict(options)
        if np.ndim(y_pred) == 2 and name in ("log_loss", "roc_auc_score"):
            extra["labels"] = list(range(np.shape(y_pred)[1]))
        return float(getattr(sk, name)(y_true, y_pred, **extra))

    return score


def _rmsle(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    # RMSLE is defined for non-negative values; a negative prediction counts as zero.
    return float(_sklearn("root_mean_squared_log_error")(y_true, np.clip(y_pred, 0, None)))


METRICS: dict[str, Metric] = {
    "accuracy": Metric(CLASSIFIERS, True, _sklearn("accuracy_score"), "accuracy"),
    "balanced_accuracy": Metric(
        CLASSIFIERS, True, _sklearn("balanced_accuracy_score"), "balanced_accuracy"
    ),
    "f1_macro": Metric(CLASSIFIERS, True, _sklearn("f1_score", average="macro"), "f1_macro"),
    "f1_weighted": Metric(
        CLASSIFIERS, True, _sklearn("f1_score", average="weighted"), "f1_weighted"
    ),
    "f1": Metric((BINARY,), True, _sklearn("f1_score"), "f1"),
    "precision": Metric((BINARY,), True, _sklearn("precision_score", zero_division=0), "precision"),
    "recall": Metric((BINARY,), True, _sklearn("recall_score"), "recall"),
    "roc_auc": Metric((BINARY,), True, _sklearn("roc_auc_score"), "roc_auc", uses_scores=True),
    "pr_auc": Metric(
        (BINARY,), True, _sklearn("average_precision_score"), "average_precision", uses_scores=True
    ),
    "roc_auc_ovr": Metric(
        (MULTICLASS,),
        True,
        _sklearn("roc_auc_score", multi_class="ovr"),
        "roc_auc_ovr",
        uses_scores=True,
    ),
    "log_loss": Metric(CLASSIFIERS, False, _sklearn("log_loss"), "neg_log_loss", uses_scores=True),
    "mse": Metric((REGRESSION,), False, _sklearn("mean_squared_error"), "neg_mean_squared_error"),
    "mae": Metric((REGRESSION,), False, _sklearn("mean_absolute_error"), "neg_mean_absolute_error"),
    "rmsle": Metric((REGRESSION,), False, _rmsle, "neg_root_mean_squared_log_error"),
    "r2": Metric((REGRESSION,), True, _sklearn("r2_score"), "r2"),
}


def metrics_for(task: str) -> list[str]:
    """Names of the metrics that apply to ``task``, in a stable order."""
    return [name for name, metric in METRICS.items() if task in metric.tasks]


# Between-group measures a policy may bound; "<metric>_gap" (largest minus smallest group
# value of any metric of the task) is accepted too (``core/fairness.py`` measures them).
CLASSIFICATION_MEASURES = ("demographic_parity_difference", "equalized_odds_difference")


def known_measures(task: str) -> list[str]:
    """Names a policy may use under ``fairness`` for ``task``."""
    gaps = [f"{name}_gap" for name in metrics_for(task)]
    return (list(CLASSIFICATION_MEASURES) if task == "classification" else []) + gaps


def score_all(
    task: str, y_true: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None = None
) -> dict[str, float]:
    """Every metric of ``task``; ``scores`` are the probabilities (see the module's docstring)."""
    return {name: METRICS[name].on(y_true, predicted, scores) for name in metrics_for(task)}


def outputs(model: Any, x: Any, task: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A fitted model's predictions, and its probabilities for a classifier (else None)."""
    if task == REGRESSION:
        return model.predict(x), None
    probabilities = model.predict_proba(x)
    return model.predict(x), probabilities[:, 1] if task == BINARY else probabilities


def defined(task: str, y_true: np.ndarray, classes: int = 2) -> bool:
    """Whether probability metrics are defined on ``y_true``: every class must be present."""
    return task == REGRESSION or len(np.unique(y_true)) >= classes


def is_better_or_equal(name: str, value: float, bound: float) -> bool:
    """Whether ``value`` is at least as good as ``bound`` for metric ``name``."""
    return value >= bound if METRICS[name].higher_is_better else value <= bound
