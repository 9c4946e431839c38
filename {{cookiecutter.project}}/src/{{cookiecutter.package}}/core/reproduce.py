"""Verdict of the reproduce gate: a clean retrain's record against the committed one."""

from typing import Any

from .gates import GateResult, Table, listing
from .record import Record

RECORD = "model/record.json"
HASHES = ("data_sha256", "lock_sha256")


def compare(
    committed: Record, fresh: Record, tolerance: float
) -> tuple[list[list[Any]], list[str]]:
    """Table rows of every compared value, and the differences as readable findings.

    The hashes must be equal; each committed metric must come back within ``tolerance``.
    """
    rows: list[list[Any]] = []
    differences = []
    for key in HASHES:
        before, after = str(getattr(committed, key))[:12], str(getattr(fresh, key))[:12]
        same = getattr(committed, key) == getattr(fresh, key)
        rows.append([key, before, after, _verdict(same)])
        if not same:
            differences.append(f"{key} committed {before}, retrained {after}")
    if not committed.metrics:
        differences.append(f"{RECORD} has no metrics (run `make evaluate` and commit it)")
    for name, value in committed.metrics.items():
        again = fresh.metrics.get(name)
        same = again is not None and abs(again - value) <= tolerance
        rows.append([name, value, again, _verdict(same)])
        if not same:
            retrained = "nothing" if again is None else f"{again:.6g}"
            differences.append(f"{name} committed {value:.6g}, retrained {retrained}")
    return rows, differences


def verdict(committed: Record, fresh: Record, tolerance: float, env_seconds: float) -> GateResult:
    """Passed when the retrain gave back the committed hashes and metrics."""
    rows, differences = compare(committed, fresh, tolerance)
    figures = {"environment_seconds": round(env_seconds, 2), "tolerance": tolerance}
    table = Table(["value", "committed", "retrained", "verdict"], rows)
    if differences:
        reason = f"the clean retrain differs from {RECORD}: {listing(differences)}"
        return GateResult("reproduce", False, reason, figures, table)
    reason = (
        f"a clean environment from uv.lock ({env_seconds:.1f} s) retrained the model and "
        f"matched {RECORD}: data and lock hashes equal, metrics within {tolerance:g}."
    )
    return GateResult("reproduce", True, reason, figures, table)


def _verdict(same: bool) -> str:
    return "same" if same else "DIFFERS"
