"""Gate reports on disk: ``reports/gates/<gate>.json`` and a Markdown fragment beside it."""

from pathlib import Path

from ..core.gates import GateResult
from .files import write_atomic, write_json

GATE_REPORTS = Path("reports/gates")


def write_gate_report(root: Path, result: GateResult) -> Path:
    """Write both files of one gate and return the JSON path."""
    path = root / GATE_REPORTS / f"{result.gate}.json"
    write_json(path, result.to_json())
    write_atomic(path.with_suffix(".md"), result.markdown())
    return path
