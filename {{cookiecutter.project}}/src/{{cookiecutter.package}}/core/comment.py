"""The pull-request comment: gate verdicts, charts GitHub draws (Mermaid) and the gate tables.

``jobs/comment.py`` reads whichever reports exist; everything here builds Markdown from the
figures it is given, so a missing report only leaves its part out.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any

TOP_INPUTS = 10  # bars in the importance chart
PALETTE = "#4c72b0, #dd8452"  # bars, then the line


# The comment's first line, invisible on GitHub: the workflow finds its own comment by it, and
# edits that one on every push instead of adding another.
MARKER = "<!-- gates-report -->"


@dataclass
class Gate:
    """One gate's report: its verdict (None when only its Markdown was found), text and table."""

    name: str
    passed: bool | None
    reason: str
    markdown: str
    table: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)


def ordered(gates: dict[str, Gate], order: list[str]) -> list[Gate]:
    """The gates in the fixed ``order``, then any others by name.

    A gate of ``order`` without a report is listed without a verdict, so that it shows as
    missing instead of vanishing.
    """
    missing = [Gate(name, None, "no report", "") for name in order if name not in gates]
    known = [gates.get(name) for name in order]
    return (
        [gate for gate in known if gate]
        + missing
        + [gates[name] for name in sorted(gates) if name not in order]
    )


def _label(text: str) -> str:
    return '"' + str(text).replace('"', "'") + '"'


def _number(value: float) -> str:
    return f"{value:.4g}"


def chart(
    title: str,
    labels: list[str],
    bars: list[float],
    line: list[float] | None = None,
    axis: str = "",
    horizontal: bool = False,
) -> str:
    """A Mermaid ``xychart-beta`` block: bars over ``labels``, and a line when given."""
    height = 60 + 40 * len(labels) if horizontal else 300
    lines = [
        "```mermaid",
        "---",
        "config:",
        "  xyChart:",
        f"    height: {height}",
        "  themeVariables:",
        "    xyChart:",
        f'      plotColorPalette: "{PALETTE}"',
        "---",
        "xychart-beta" + (" horizontal" if horizontal else ""),
        f"    title {_label(title)}",
        f"    x-axis [{', '.join(_label(label) for label in labels)}]",
    ]
    values = bars + (line or [])
    low, high = min(0.0, *values), max(values)
    if axis:
        lines.append(f"    y-axis {_label(axis)} {_number(low)} --> {_number(high * 1.05 or 1)}")
    lines.append(f"    bar [{', '.join(_number(value) for value in bars)}]")
    if line is not None:
        lines.append(f"    line [{', '.join(_number(value) for value in line)}]")
    return "\n".join([*lines, "```"])


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def versus_champion(table: dict[str, Any], champion: str) -> list[str]:
    """Candidate (bars) against the champion (line) per metric, from the accuracy gate's table.

    Metrics between 0 and 1 share one chart; any other metric gets its own, so a large error
    does not flatten the rest. Nothing when no metric has both values.
    """
    columns = table.get("columns", [])
    if not {"metric", "candidate", "champion"} <= set(columns):
        return []
    at = {name: columns.index(name) for name in ("metric", "candidate", "champion")}
    pairs = [
        (row[at["metric"]], row[at["candidate"]], row[at["champion"]])
        for row in table.get("rows", [])
        if _finite(row[at["candidate"]]) and _finite(row[at["champion"]])
    ]
    unit = [pair for pair in pairs if all(0 <= value <= 1 for value in pair[1:])]
    groups = ([unit] if unit else []) + [[pair] for pair in pairs if pair not in unit]
    title = f"Holdout: candidate (bars) vs champion {champion} (line)"
    return [
        chart(
            title,
            [name for name, _, _ in group],
            [candidate for _, candidate, _ in group],
            [before for _, _, before in group],
            axis="value",
        )
        for group in groups
    ]


def importance_chart(values: dict[str, float], metric: str) -> str | None:
    """The top inputs by permutation importance, largest first (a negative one counts as 0)."""
    top = sorted(values.items(), key=lambda item: item[1], reverse=True)[:TOP_INPUTS]
    if not top:
        return None
    return chart(
        f"What the model leans on: drop in {metric} when an input is shuffled",
        [name for name, _ in top],
        [max(0.0, value) for _, value in top],
        horizontal=True,
    )


def group_chart(column: str, values: dict[str, float | None], metric: str) -> str | None:
    """The KPI's metric in each group of a sensitive column."""
    known = {
        group: value for group, value in values.items() if value is not None and _finite(value)
    }
    if not known:
        return None
    return chart(f"{metric} by {column} (holdout)", list(known), list(known.values()), axis=metric)


def card_tables(text: str) -> dict[str, dict[str, dict[str, str]]]:
    """The model card's "Metrics by <column>" tables: column -> group -> metric -> cell."""
    found = {}
    for column, body in re.findall(r"^## Metrics by (.+)\n\n((?:\|.*\n?)+)", text, re.MULTILINE):
        rows = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in body.strip().splitlines()
        ]
        header, data = rows[0], rows[2:]
        found[column.strip()] = {row[0]: dict(zip(header[1:], row[1:])) for row in data}
    return found


def _number_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def group_charts(card: str, metric: str) -> list[str]:
    """A chart of ``metric`` per group for each sensitive column in the model card."""
    charts = []
    for column, groups in card_tables(card).items():
        values = {group: _number_or_none(cells.get(metric, "")) for group, cells in groups.items()}
        drawn = group_chart(column, values, metric)
        if drawn:
            charts.append(drawn)
    return charts


def comment(
    gates: list[Gate],
    charts: dict[str, list[str]],
    reports: list[str],
    link: str | None,
) -> str:
    """The whole comment: the verdicts, the charts under their headings, the gate tables."""
    judged = [gate for gate in gates if gate.passed is not None]
    failed = [gate.name for gate in judged if not gate.passed]
    if not judged:
        head = "## Gates: no verdicts were found"
    elif failed:
        head = f"## ❌ {len(failed)} of {len(judged)} gates failed: {', '.join(failed)}"
    else:
        head = f"## ✅ {len(judged)} of {len(judged)} gates passed"
    marks = {True: "✅", False: "❌", None: "❔"}
    lines = [MARKER, head, ""]
    if gates:
        lines += [" · ".join(f"{marks[gate.passed]} {gate.name}" for gate in gates), ""]
    unreported = [gate.name for gate in gates if gate.passed is None]
    if unreported:
        lines += [f"No verdict found for: {', '.join(unreported)}.", ""]
    if link:
        lines += [f"Reports of this run (HTML, charts, JSON): [the run's artifacts]({link})", ""]
    for heading, drawn in charts.items():
        if drawn:
            lines += [f"### {heading}", ""]
            for block in drawn:
                lines += [block, ""]
    if any(gate.markdown for gate in gates):
        lines += ["### Gate tables", ""]
        lines += [
            gate.markdown.strip().replace("### ", "#### ", 1) + "\n"
            for gate in gates
            if gate.markdown
        ]
    if reports:
        lines += ["Reports: " + ", ".join(f"`{name}`" for name in reports), ""]
    return "\n".join(lines)
