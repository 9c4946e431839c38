"""Gate ``explain``: what the candidate leans on, by permutation importance on the holdout.

Fails when one input alone predicts the target almost perfectly (a leakage alarm), when a
forbidden driver (by default a sensitive attribute) is among the top drivers, or when the top
drivers moved away from the champion's. The figures are gathered here and judged by
``core.explain.verdict``.
"""

from pathlib import Path

import pandas as pd

from ...core.explain import alone, importance, top, verdict
from ...core.gates import GateResult
from ...io import registry
from ...io.data import split
from ...io.reports import write_importance
from .. import Holdout, holdout
from .accuracy import rival

REPORTS = Path("reports/explain")


def single_inputs(data: Holdout) -> pd.Series:
    """How well each input alone predicts the target on the holdout (``core.explain.alone``)."""
    rules = data.rules
    parts = split(data.frame, data.schema, rules)
    return alone(parts.x_train, parts.y_train, data.x, data.y, rules.task, rules.data.seed)


def check(root: Path) -> GateResult:
    """Compute, plot and judge the candidate's drivers."""
    data = holdout(root)
    runs = data.driver_runs(data.candidate())
    values = importance(runs)
    single = single_inputs(data)
    write_importance(root / REPORTS, runs, single, data.rules.kpi.metric)
    champion, model, changed = rival(data)
    top_k, before = data.rules.gates.explain.top_k, None
    if champion is not None and model is not None:
        # A published bundle keeps the champion's importance; the registry's is computed here.
        recorded = registry.champion_importance(champion)
        before = top(data.drivers(model) if recorded is None else recorded, top_k)
    return verdict(values, single, data.rules, before, changed)
