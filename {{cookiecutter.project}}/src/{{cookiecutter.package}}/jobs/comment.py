"""``make comment``: the pull-request comment, ``reports/comment.md``, from the reports found.

Reads whichever of these exist under ``reports/`` (CI merges every job's artifact there):
``gates/<gate>.json`` and ``.md``, ``explain/importance.csv``; and the committed
``MODEL_CARD.md`` for the metrics by group. Links to the run's artifacts when GitHub's
``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and ``GITHUB_RUN_ID`` are set.
"""

import json
import os
from pathlib import Path

import pandas as pd

from ..core import ProjectError
from ..core.comment import (
    Gate,
    group_charts,
    importance_chart,
    ordered,
    versus_champion,
)
from ..core.comment import comment as assemble
from ..io.files import write_atomic
from . import policy

REPORTS = Path("reports")
COMMENT = REPORTS / "comment.md"
CARD = Path("MODEL_CARD.md")


def comment(root: Path) -> Path:
    """Write ``reports/comment.md`` and return its path."""
    from .gates import GATES

    folder = root / REPORTS
    gates = _gates(folder / "gates")
    rules = policy(root)
    charts = {
        "Candidate vs champion": _versus(gates.get("accuracy")),
        "What the model leans on": _importance(folder, rules.kpi.metric),
        f"{rules.kpi.metric} by group": _groups(root, rules.kpi.metric),
    }
    reports = sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.suffix in (".html", ".png") and path.is_file()
    )
    text = assemble(ordered(gates, list(GATES)), charts, reports, _link())
    write_atomic(root / COMMENT, text)
    return root / COMMENT


def _gates(folder: Path) -> dict[str, Gate]:
    """Every gate report found: its JSON verdict and its Markdown, whichever exist."""
    found = {}
    for name in sorted(_stems(folder, "*.json") | _stems(folder, "*.md")):
        report = _json(folder / f"{name}.json")
        markdown = folder / f"{name}.md"
        found[name] = Gate(
            name,
            report.get("passed"),
            str(report.get("reason", "")),
            markdown.read_text(encoding="utf-8") if markdown.exists() else "",
            report.get("table") or {},
            report.get("figures") or {},
        )
    return found


def _stems(folder: Path, pattern: str) -> set[str]:
    return {path.stem for path in folder.glob(pattern)}


def _json(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProjectError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None


def _versus(accuracy: Gate | None) -> list[str]:
    if accuracy is None:
        return []
    champion = (accuracy.figures.get("champion") or {}).get("version")
    return versus_champion(accuracy.table, f"version {champion}") if champion else []


def _importance(folder: Path, metric: str) -> list[str]:
    path = folder / "explain" / "importance.csv"
    if not path.exists():
        return []
    values = pd.read_csv(path, index_col="input")["importance"]
    drawn = importance_chart({str(name): float(value) for name, value in values.items()}, metric)
    return [drawn] if drawn else []


def _groups(root: Path, metric: str) -> list[str]:
    card = root / CARD
    return group_charts(card.read_text(encoding="utf-8"), metric) if card.exists() else []


def _link() -> str | None:
    """The run's page, where its artifacts are listed; None outside GitHub Actions."""
    parts = [os.environ.get(name, "") for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY")]
    run = os.environ.get("GITHUB_RUN_ID", "")
    if not all(parts) or not run:
        return None
    return f"{parts[0]}/{parts[1]}/actions/runs/{run}#artifacts"
