"""Gate ``explain``: what the candidate leans on, by permutation importance on the holdout.

Fails when one input alone predicts the target almost perfectly (a leakage alarm), when a
forbidden driver (by default a sensitive attribute) is among the top drivers, or when the top
drivers moved away from the champion's.
"""

from pathlib import Path

import pandas as pd

from ...core.explain import (
    ALONE_METRIC,
    alone,
    importance,
    importance_runs,
    leaks,
    shares,
    top,
    unstable,
)
from ...core.gates import GateResult, Table, listing
from ...core.metrics import METRICS
from ...io.data import split
from ...io.reports import write_importance
from .. import Holdout, holdout
from .accuracy import rival

REPORTS = Path("reports/explain")


def driver_runs(data: Holdout, model) -> pd.DataFrame:
    """Permutation importance of ``model``'s inputs in each repeat, scored with the KPI's metric."""
    scorer = METRICS[data.rules.kpi.metric].scorer
    return importance_runs(model, data.x, data.y, scorer, data.rules.data.seed)


def drivers(data: Holdout, model) -> pd.Series:
    """Mean permutation importance of ``model``'s inputs, largest first."""
    return importance(driver_runs(data, model))


def single_inputs(data: Holdout) -> pd.Series:
    """How well each input alone predicts the target on the holdout (``core.explain.alone``)."""
    rules = data.rules
    parts = split(data.frame, data.schema, rules)
    return alone(parts.x_train, parts.y_train, data.x, data.y, rules.task, rules.data.seed)


def check(root: Path) -> GateResult:
    """Compute, plot and judge the candidate's drivers."""
    data = holdout(root)
    settings = data.rules.gates.explain
    runs = driver_runs(data, data.candidate())
    values = importance(runs)
    share = shares(values)
    leaders = top(values, settings.top_k)
    single = single_inputs(data)
    metric = ALONE_METRIC[data.rules.task]
    write_importance(root / REPORTS, runs, single, data.rules.kpi.metric)

    problems = leaks(single, share, metric, settings.leakage_score)
    forbidden = [name for name in leaders if name in data.rules.forbidden_drivers]
    problems += [
        f"forbidden driver '{name}' is among the top {settings.top_k}" for name in forbidden
    ]

    champion, model, changed = rival(data)
    before = None
    if champion is None:
        stability = "no champion yet, so stability was not judged"
    elif changed is not None:
        stability = "the champion has other inputs"
        problems.append(changed)
    else:
        before = top(drivers(data, model), settings.top_k)
        kept = len(set(leaders) & set(before))
        stability = f"{kept} of the champion's top {len(before)} drivers kept"
        moved = unstable(leaders, before, settings.min_kept)
        if moved:
            problems.append(moved)
    figures = {
        "top": leaders,
        "shares": share.round(4).to_dict(),
        "alone": {"metric": metric, "scores": single.round(4).to_dict()},
        "champion_top": before,
    }
    table = Table(
        ["input", "importance", "share", f"{metric} alone"],
        [
            [name, float(values[name]), f"{share[name]:.1%}", float(single[name])]
            for name in values.index
        ],
    )
    if problems:
        return GateResult("explain", False, f"{listing(problems)}.", figures, table)
    best = single.index[0]
    reason = (
        f"top drivers {', '.join(leaders)} ({', '.join(f'{share[n]:.0%}' for n in leaders)} of "
        f"the importance); the best single input, '{best}', predicts the target with {metric} "
        f"{single[best]:.3f} alone (a leakage alarm at {settings.leakage_score:g}); "
        f"no forbidden driver on top; {stability}."
    )
    return GateResult("explain", True, reason, figures, table)
