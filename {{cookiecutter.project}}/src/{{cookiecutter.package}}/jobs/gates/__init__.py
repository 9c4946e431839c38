"""Every gate by name. A gate never stops the others: a problem it meets is its failure."""

import logging
import sys
import time
from pathlib import Path

from ...core import ProjectError
from ...core.gates import GateResult
from ...io.reports import GATE_REPORTS, write_gate_report
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
    except Exception as error:  # a bug stops neither the other gates nor reads as a pass
        logging.getLogger(__name__).info("gate %s stopped", name, exc_info=True)
        what = (str(error).splitlines() or [""])[0]
        reason = (
            f"the gate stopped on an unexpected {type(error).__name__}: {what} "
            f"(`VERBOSE=1 make gate-{name}` shows where)"
        )
        result = GateResult(gate=name, passed=False, reason=reason)
    write_gate_report(root, result)
    return result


def run_all(root: Path, names: list[str] | None = None) -> list[GateResult]:
    """Run every gate (or the named ones) in order, going on past failures.

    Each gate's start, and its verdict with its time, go to stderr as it happens.
    """
    unknown = sorted(set(names or []) - set(GATES))
    if unknown:
        raise ProjectError(f"no gate named {', '.join(unknown)}; the gates are {', '.join(GATES)}")
    chosen = [name for name in GATES if names is None or name in names]
    for name in chosen:  # no verdict of an earlier run survives this one
        for suffix in (".json", ".md"):
            (root / GATE_REPORTS / f"{name}{suffix}").unlink(missing_ok=True)
    results = []
    for number, name in enumerate(chosen, start=1):
        step = f"[{number}/{len(chosen)}] {name}"
        _progress(f"{step} ...")
        started = time.monotonic()
        results.append(run_gate(name, root))
        verdict = "passed" if results[-1].passed else "FAILED"
        _progress(f"{step} {verdict} in {time.monotonic() - started:.1f} s")
    return results


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
