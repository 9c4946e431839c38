"""Fairness across the groups of a sensitive attribute, measured with fairlearn.

fairlearn is imported by the functions that measure; the names a policy may bound are in
``core/metrics.py``, which the prediction service reads without pandas.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .metrics import METRICS, Metric, metrics_for


@dataclass(frozen=True)
class Measured:
    """One bounded measure over one sensitive attribute, for the model and for the truth."""

    column: str
    name: str
    value: float  # the model's
    floor: float  # a model predicting the truth exactly: what the data's own outcomes give
    bound: float


def measure(
    name: str, y: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None, groups: pd.Series
) -> float:
    """One between-group measure: 0 means every group is treated alike.

    Rows whose group is missing (a nullable sensitive column) belong to no group.
    """
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        equalized_odds_difference,
    )

    y, predicted, scores, groups = _known(y, predicted, scores, groups)
    if name == "demographic_parity_difference":
        return float(demographic_parity_difference(y, predicted, sensitive_features=groups))
    if name == "equalized_odds_difference":
        return float(equalized_odds_difference(y, predicted, sensitive_features=groups))
    metric = METRICS[name.removesuffix("_gap")]
    values = scores if metric.uses_scores else predicted
    frame = MetricFrame(metrics=_safe(metric), y_true=y, y_pred=values, sensitive_features=groups)
    return float(frame.difference())


def by_group(
    task: str, y: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None, groups: pd.Series
) -> pd.DataFrame:
    """Every metric of the task for each group, with the group's row count."""
    from fairlearn.metrics import MetricFrame

    y, predicted, scores, groups = _known(y, predicted, scores, groups)
    columns = {}
    for name in metrics_for(task):
        metric = METRICS[name]
        values = scores if metric.uses_scores else predicted
        frame = MetricFrame(
            metrics=_safe(metric), y_true=y, y_pred=values, sensitive_features=groups
        )
        columns[name] = frame.by_group
    table = pd.DataFrame(columns)
    table.insert(0, "rows", groups.value_counts().reindex(table.index))
    return table


def _known(
    y: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None, groups: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, pd.Series]:
    """The rows whose group is known: a missing value ("" or NaN) is no group."""
    groups = pd.Series(groups).reset_index(drop=True)
    keep = (groups.notna() & (groups.astype(str) != "")).to_numpy()
    if keep.all():
        return y, predicted, scores, groups
    scores = None if scores is None else np.asarray(scores)[keep]
    return np.asarray(y)[keep], np.asarray(predicted)[keep], scores, groups[keep]


def _safe(metric: Metric) -> Callable[[np.ndarray, np.ndarray], float]:
    """The metric's score, or NaN in a group where it is undefined (one class only, say)."""

    def score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        try:
            return float(metric.score(y_true, y_pred))
        except ValueError:
            return float("nan")

    score.__name__ = "score"
    return score


def floor(name: str, y: np.ndarray, groups: pd.Series) -> float:
    """The measure for a model that predicts the truth exactly: no bound below it can be met."""
    truth = np.asarray(y)
    return measure(name, truth, truth, truth.astype(float), groups)


def judge(measured: list[Measured], sensitive: list[str]) -> tuple[list[str], str]:
    """Problems (a bound exceeded, or one no accurate model could meet) and a one-line detail."""
    if not sensitive:
        return [], "no sensitive attribute is declared (data.sensitive is empty): none measured"
    if not measured:
        return [], "no measure is bounded in gates.governance.fairness: not measured"
    problems = []
    for item in measured:
        where = f"{item.name} by {item.column}"
        if item.value > item.bound:
            problems.append(f"{where} is {item.value:.3g} (at most {item.bound:g})")
        if item.floor > item.bound:
            problems.append(f"{where}: {_floor_reason(item)}")
    found = "; ".join(f"{item.name} by {item.column} {item.value:.3g}" for item in measured)
    return problems, f"{found} (all within bounds, each reachable by an exact model)"


def _floor_reason(item: Measured) -> str:
    if item.name == "demographic_parity_difference":
        return (
            f"the data's own outcomes differ by {item.floor:.3g} between groups, so no accurate "
            f"model can meet the bound {item.bound:g}; bound equalized_odds_difference instead, "
            "or raise the bound"
        )
    return (
        f"a model predicting the truth exactly gives {item.floor:.3g}, so no accurate model "
        f"can meet the bound {item.bound:g}; raise the bound"
    )
