"""Verdicts on production traffic: drift from the champion's data, and the KPI on labelled rows."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from .gates import GateResult, Table
from .metrics import METRICS, defined
from .policy import Policy

PASS, BREACH, NOT_JUDGED = "pass", "BREACH", "not judged"


@dataclass
class Check:
    """One monitoring check: its verdict and the sentence behind it."""

    name: str
    verdict: str
    detail: str


def judge_drift(drifted: list[str], columns: list[str], rows: int, rules: Policy) -> Check:
    """Breach when the share of drifted columns exceeds the policy's, on enough rows."""
    limit = rules.monitoring
    if rows < limit.min_rows:
        return Check("drift", NOT_JUDGED, f"{rows} predictions, at least {limit.min_rows} needed")
    share = len(drifted) / len(columns)
    detail = f"{len(drifted)} of {len(columns)} columns drifted ({share:.0%})"
    if drifted:
        detail += f": {', '.join(drifted)}"
    if share > limit.max_drift_share:
        return Check("drift", BREACH, f"{detail}; at most {limit.max_drift_share:.0%}")
    return Check("drift", PASS, f"{detail}; at most {limit.max_drift_share:.0%}")


def kpi_value(
    rules: Policy, y_true: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None
) -> float | None:
    """The KPI's metric on labelled rows; None when it is undefined there (one class only)."""
    metric = METRICS[rules.kpi.metric]
    classes = np.shape(scores)[1] if scores is not None and np.ndim(scores) == 2 else 2
    if metric.uses_scores and not defined(rules.task, y_true, classes):
        return None
    return metric.on(y_true, predicted, scores)


def judge_kpi(value: float | None, labelled: int, rules: Policy) -> Check:
    """Breach when the KPI misses its target, once enough predictions have labels."""
    need = rules.monitoring.min_labelled_rows
    if labelled < need:
        return Check("kpi", NOT_JUDGED, f"{labelled} labelled predictions, at least {need} needed")
    if value is None:
        return Check("kpi", NOT_JUDGED, f"{rules.kpi.metric} is undefined: labels of one class")
    higher = METRICS[rules.kpi.metric].higher_is_better
    met = value >= rules.kpi.target if higher else value <= rules.kpi.target
    detail = (
        f"{rules.kpi.name}: {rules.kpi.metric} {value:.4g} on {labelled} labelled predictions; "
        f"target {rules.kpi_met}"
    )
    return Check("kpi", PASS if met else BREACH, detail)


def verdict(checks: list[Check], figures: dict[str, Any]) -> GateResult:
    """All checks as one result: breached when any check is."""
    table = Table(["check", "verdict", "detail"], [[c.name, c.verdict, c.detail] for c in checks])
    breaches = [check for check in checks if check.verdict == BREACH]
    if breaches:
        reason = "; ".join(f"{check.name}: {check.detail}" for check in breaches)
        return GateResult("monitoring", False, f"breach: {reason}", figures, table)
    judged = [check.name for check in checks if check.verdict == PASS]
    reason = f"no breach ({', '.join(judged) or 'nothing'} judged)"
    return GateResult("monitoring", True, reason, figures, table)
