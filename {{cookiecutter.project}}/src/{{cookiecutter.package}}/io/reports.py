"""Reports on disk: gate reports (``reports/gates/<gate>.json`` and Markdown) and charts."""

from pathlib import Path

import pandas as pd

from ..core.explain import importance, shares
from ..core.gates import GateResult
from .files import write_atomic, write_json

GATE_REPORTS = Path("reports/gates")


def write_gate_report(root: Path, result: GateResult) -> Path:
    """Write both files of one gate and return the JSON path."""
    path = root / GATE_REPORTS / f"{result.gate}.json"
    write_json(path, result.to_json())
    write_atomic(path.with_suffix(".md"), result.markdown())
    return path


def write_importance(folder: Path, runs: pd.DataFrame, single: pd.Series, metric: str) -> None:
    """``importance.csv`` and a bar chart, ``importance.png``, of permutation importance.

    ``runs`` holds each input's drop in ``metric`` (a row) in each repeated shuffle (a column);
    the bars are the mean, the error bars one standard deviation over the repeats. ``single``
    is each input's score alone, kept in the table beside it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = importance(runs)
    spread = runs.std(axis=1, ddof=0)[values.index]
    table = pd.DataFrame(
        {
            "importance": values,
            "std": spread,
            "share": shares(values),
            "alone": single[values.index],
        }
    )
    write_atomic(folder / "importance.csv", table.to_csv(index_label="input"))
    order = values.index[::-1]  # largest on top
    figure, axes = plt.subplots(figsize=(6.5, 0.4 * len(values) + 1.4))
    axes.barh(order, values[order], xerr=spread[order], color="#4c72b0", ecolor="#222222")
    axes.axvline(0, color="#888888", linewidth=0.8)
    repeats = runs.shape[1]
    axes.set_xlabel(f"drop in {metric} when the input is shuffled (mean ± sd, {repeats} repeats)")
    axes.set_title("What the model leans on (permutation importance, holdout)")
    figure.tight_layout()
    figure.savefig(folder / "importance.png", dpi=120)
    plt.close(figure)
