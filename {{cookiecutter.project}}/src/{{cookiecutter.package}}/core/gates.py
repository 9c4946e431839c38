"""The gate contract: every gate returns a ``GateResult``; it renders as JSON and Markdown."""

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Table:
    """Figures a gate judged, as rows under named columns."""

    columns: list[str]
    rows: list[list[Any]]

    def markdown(self) -> str:
        """The table in GitHub Markdown."""
        lines = ["| " + " | ".join(self.columns) + " |", "|" + " --- |" * len(self.columns)]
        lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class GateResult:
    """A gate's verdict, its reason in one sentence, and the figures behind it."""

    gate: str
    passed: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)
    table: Table | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON report: ``gate``, ``passed``, ``reason``, figures and table."""
        return asdict(self)

    def markdown(self) -> str:
        """A short fragment for the job summary and the pull-request comment."""
        verdict = "passed" if self.passed else "FAILED"
        mark = "✅" if self.passed else "❌"
        parts = [f"### {mark} {self.gate}: {verdict}", "", self.reason]
        if self.table is not None:
            parts += ["", self.table.markdown()]
        return "\n".join(parts) + "\n"


def listing(problems: list[str], limit: int = 5) -> str:
    """``a; b; c and 4 more``: a readable sentence tail from a list of problems."""
    shown = "; ".join(problems[:limit])
    return shown + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")


def summary(results: list[GateResult]) -> str:
    """A plain-text table of every gate's verdict and reason."""
    width = max(len(result.gate) for result in results)
    lines = [f"{'gate':<{width}}  verdict  reason", f"{'-' * width}  -------  ------"]
    for result in results:
        verdict = "pass" if result.passed else "FAIL"
        lines.append(f"{result.gate:<{width}}  {verdict:<7}  {result.reason}")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
