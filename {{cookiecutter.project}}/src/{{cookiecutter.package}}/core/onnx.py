"""Verdict of the onnx gate: the exported model predicts what the scikit-learn pipeline predicts.

``jobs/gates/onnx.py`` runs both on the holdout and times them; ``agreement`` measures how far
their outputs are apart and ``verdict`` judges that, and the file's identity, against the record.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .gates import GateResult, Table, listing
from .record import Record

COLUMNS = ["measure", "scikit-learn", "onnx", "limit", "verdict"]


@dataclass
class Parity:
    """What the onnx gate measured: the file's identity, the agreement, sizes and latencies."""

    file: str  # where the export is, as the reason names it
    sha256: str  # the file's
    exported_from: str  # the run its metadata names
    rows: int  # holdout rows both scored
    worst: float  # from ``agreement``
    disagreements: int
    sizes: dict[str, int] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)  # sklearn_us, onnx_us


def agreement(
    expected: tuple[Any, Any], actual: tuple[Any, Any], tolerance: float
) -> tuple[float, int]:
    """Largest output difference (relative above 1), and the labels that differ.

    Outputs are probabilities for classification, values for regression. A label may differ
    only where scikit-learn's two likeliest classes are within ``tolerance`` of each other (the
    positive class's probability near 0.5, for binary).
    """
    (labels, scores), (their_labels, their_scores) = expected, actual
    truth, other = (labels, their_labels) if scores is None else (scores, their_scores)
    truth, other = np.asarray(truth, dtype=float), np.asarray(other, dtype=float)
    worst = float(np.max(np.abs(other - truth) / np.maximum(1.0, np.abs(truth)), initial=0.0))
    if scores is None:
        return worst, 0
    if scores.ndim == 2:  # multiclass: the margin between the two likeliest classes
        top = np.sort(scores, axis=1)[:, -2:]
        margin = top[:, 1] - top[:, 0]
    else:
        margin = 2 * np.abs(scores - 0.5)
    differ = (np.asarray(labels) != np.asarray(their_labels)) & (margin > 2 * tolerance)
    return worst, int(differ.sum())


def verdict(parity: Parity, record: Record, tolerance: float) -> GateResult:
    """Passed when the file is the record's export and agrees with the pipeline within tolerance."""
    problems, rows = provenance(parity, record)
    worst, disagreements = parity.worst, parity.disagreements
    if worst > tolerance:
        problems.append(
            f"outputs differ from scikit-learn's by up to {worst:.3g} (tolerance {tolerance:g})"
        )
    if disagreements:
        problems.append(
            f"{disagreements} of {parity.rows} holdout labels differ from scikit-learn's"
        )
    rows.append(["largest output difference", None, worst, tolerance, _verdict(worst <= tolerance)])
    if record.task != "regression":
        rows.append(["labels that differ", None, disagreements, 0, _verdict(not disagreements)])
    sizes, latency = parity.sizes, parity.latency
    rows.append(
        ["file bytes", sizes.get("sklearn_pickle_bytes"), sizes.get("onnx_bytes"), None, None]
    )
    rows.append(
        ["single-row latency (µs)", latency.get("sklearn_us"), latency.get("onnx_us"), None, None]
    )
    figures = {
        "holdout_rows": parity.rows,
        "tolerance": tolerance,
        "largest_difference": worst,
        "labels_that_differ": disagreements,
        **sizes,
        **latency,
    }
    table = Table(COLUMNS, rows)
    if problems:
        reason = f"{parity.file} fails: {listing(problems)}"
        return GateResult("onnx", False, reason, figures, table)
    speed = ""
    if latency.get("onnx_us") and latency.get("sklearn_us"):
        speedup = latency["sklearn_us"] / latency["onnx_us"]
        speed = (
            f"; one row takes {latency['onnx_us']:.0f} µs, {speedup:.0f}x faster than scikit-learn"
        )
    reason = (
        f"the ONNX export matches the pipeline on {parity.rows} holdout rows (largest difference "
        f"{worst:.2g}, tolerance {tolerance:g}){speed}."
    )
    return GateResult("onnx", True, reason, figures, table)


def provenance(parity: Parity, record: Record) -> tuple[list[str], list[list[Any]]]:
    """Problems and table rows of the file's identity: its hash and the run it came from."""
    recorded = record.onnx.sha256 if record.onnx is not None else ""
    run_id = record.model.run_id
    problems = []
    if not recorded:
        problems.append("model/record.json names no exported model (run `make export`)")
    elif parity.sha256 != recorded:
        problems.append(f"its sha256 {parity.sha256[:12]} is not the record's {recorded[:12]}")
    if parity.exported_from != run_id:
        problems.append(
            f"it was exported from run {parity.exported_from}, the record names {run_id}"
        )
    same_file, same_run = parity.sha256 == recorded, parity.exported_from == run_id
    rows: list[list[Any]] = [
        ["sha256", None, parity.sha256[:12], recorded[:12], _verdict(same_file)],
        ["exported from run", None, parity.exported_from, run_id, _verdict(same_run)],
    ]
    return problems, rows


def _verdict(good: bool) -> str:
    return "pass" if good else "fail"
