"""Every gate by name. A gate never stops the others: a problem it meets is its failure."""

from pathlib import Path

from ...core import ProjectError
from ...core.gates import GateResult
from ...io.reports import write_gate_report
from . import (
    accuracy,
    explain,
    governance,
    load,
    onnx,
    reproduce,
    standards,
)

GATES = {
    "standards": standards.check,
    "reproduce": reproduce.check,
    "accuracy": accuracy.check,
    "explain": explain.check,
    "governance": governance.check,
    "onnx": onnx.check,
    "load": load.check,
}


def run_gate(name: str, root: Path) -> GateResult:
    """Run one gate and write its reports; a ``ProjectError`` becomes a failed verdict."""
    try:
        result = GATES[name](root)
    except ProjectError as error:
        result = GateResult(gate=name, passed=False, reason=str(error))
    write_gate_report(root, result)
    return result


def run_all(root: Path, names: list[str] | None = None) -> list[GateResult]:
    """Run every gate (or the named ones) in order, going on past failures."""
    unknown = sorted(set(names or []) - set(GATES))
    if unknown:
        raise ProjectError(f"no gate named {', '.join(unknown)}; the gates are {', '.join(GATES)}")
    return [run_gate(name, root) for name in GATES if names is None or name in names]
