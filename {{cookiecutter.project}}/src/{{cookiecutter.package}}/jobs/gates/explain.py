"""Gate ``explain``: what the candidate leans on, by permutation importance on the holdout.

Fails when one input carries too much of the importance (a target-leakage alarm), when a
forbidden driver (by default a sensitive attribute) is among the top drivers, or when the top
drivers moved away from the champion's.
"""

from pathlib import Path

import pandas as pd

from ...core.explain import importance, shares, top
from ...core.gates import GateResult, Table, listing
from ...core.metrics import METRICS
from ...io import registry
from ...io.files import write_atomic
from .. import Holdout, holdout

REPORTS = Path("reports/explain")


def drivers(data: Holdout, model) -> pd.Series:
    """Permutation importance of ``model``'s inputs, scored with the KPI's metric."""
    scorer = METRICS[data.rules.kpi.metric].scorer
    return importance(model, data.x, data.y, scorer, data.rules.data.seed)


def check(root: Path) -> GateResult:
    """Compute, plot and judge the candidate's drivers."""
    data = holdout(root)
    settings = data.rules.gates.explain
    values = drivers(data, data.candidate())
    share = shares(values)
    leaders = top(values, settings.top_k)
    _write(root, values, share)

    problems = []
    first = share.idxmax()
    if share[first] > settings.max_share:
        problems.append(
            f"'{first}' carries {share[first]:.0%} of the importance (at most "
            f"{settings.max_share:.0%}): a target-leakage alarm"
        )
    forbidden = [name for name in leaders if name in data.rules.forbidden_drivers]
    problems += [
        f"forbidden driver '{name}' is among the top {settings.top_k}" for name in forbidden
    ]

    champion = registry.champion()
    overlap = None
    if champion is None:
        stability = "no champion yet, so stability was not judged"
    else:
        before = top(drivers(data, registry.load_model(champion["uri"])), settings.top_k)
        overlap = len(set(leaders) & set(before)) / settings.top_k
        stability = f"top drivers overlap the champion's by {overlap:.0%}"
        if overlap < settings.min_overlap:
            problems.append(
                f"top {settings.top_k} drivers {leaders} keep only {overlap:.0%} of the "
                f"champion's {before} (at least {settings.min_overlap:.0%})"
            )
    figures = {"top": leaders, "shares": share.round(4).to_dict(), "overlap": overlap}
    table = Table(
        ["input", "importance", "share"],
        [[name, float(values[name]), f"{share[name]:.1%}"] for name in values.index],
    )
    if problems:
        return GateResult("explain", False, f"{listing(problems)}.", figures, table)
    reason = (
        f"top drivers {', '.join(leaders)}; the largest share is {share[first]:.0%} "
        f"(at most {settings.max_share:.0%}); no forbidden driver on top; {stability}."
    )
    return GateResult("explain", True, reason, figures, table)


def _write(root: Path, values: pd.Series, share: pd.Series) -> None:
    """The importance table as CSV and a bar chart as PNG, under ``reports/explain``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = root / REPORTS
    table = pd.DataFrame({"importance": values, "share": share})
    write_atomic(folder / "importance.csv", table.to_csv(index_label="input"))
    figure, axes = plt.subplots(figsize=(6, 0.4 * len(values) + 1))
    values.sort_values().plot.barh(ax=axes, color="#4c72b0")
    axes.set_xlabel("mean drop in score when shuffled (permutation importance)")
    axes.set_title("What the model leans on (holdout)")
    figure.tight_layout()
    figure.savefig(folder / "importance.png", dpi=120)
    plt.close(figure)
