"""Gate ``onnx``: the exported model predicts what the scikit-learn pipeline predicts.

Both score the holdout. Outputs (probabilities, or values) must agree within the policy's
tolerance, relative to the value where it exceeds 1; labels must match; and ``model/model.onnx``
must be the recorded export of the recorded run. File sizes and single-row latencies are reported.
"""

import pickle
import time
from pathlib import Path

import numpy as np

from ...core import ProjectError, inputs
from ...core.gates import GateResult, Table, listing
from ...core.metrics import outputs
from ...io import dataset, onnx_model, registry
from ...io.data import load_dataset, split
from ...io.record import read_record
from .. import policy

COLUMNS = ["measure", "scikit-learn", "onnx", "limit", "verdict"]


def check(root: Path) -> GateResult:
    """Compare the exported model with the recorded pipeline on the holdout."""
    rules = policy(root)
    record = read_record(root)
    tolerance = rules.gates.onnx.tolerance
    frame, _ = load_dataset(root, rules)
    schema = dataset.load_schema(root, rules)
    x = split(frame, schema, rules).x_holdout
    features = schema.features(exclude=rules.data.excluded_features)
    pipeline = registry.load_model(f"runs:/{record['model']['run_id']}/model")
    try:
        content = (root / onnx_model.MODEL).read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{onnx_model.MODEL} not found (run `make export`)") from None
    model = onnx_model.OnnxModel(content, rules.task)

    problems, rows = _provenance(record, model)
    expected = outputs(pipeline, x, rules.task)
    actual = model.predict(inputs.table_columns(x, features))
    worst, disagreements = agreement(expected, actual, tolerance)
    if worst > tolerance:
        problems.append(
            f"outputs differ from scikit-learn's by up to {worst:.3g} (tolerance {tolerance:g})"
        )
    if disagreements:
        problems.append(f"{disagreements} of {len(x)} holdout labels differ from scikit-learn's")
    rows.append(["largest output difference", None, worst, tolerance, _verdict(worst <= tolerance)])
    if rules.task != "regression":
        rows.append(["labels that differ", None, disagreements, 0, _verdict(not disagreements)])

    one, row = x.iloc[:1], inputs.table_columns(x.iloc[:1], features)
    sizes = {"sklearn_pickle_bytes": len(pickle.dumps(pipeline)), "onnx_bytes": len(content)}
    latency = {
        "sklearn_us": median_us(lambda: outputs(pipeline, one, rules.task), 200),
        "onnx_us": median_us(lambda: model.predict(row), 2000),
    }
    rows.append(["file bytes", sizes["sklearn_pickle_bytes"], sizes["onnx_bytes"], None, None])
    rows.append(["single-row latency (µs)", latency["sklearn_us"], latency["onnx_us"], None, None])
    figures = {
        "holdout_rows": len(x),
        "tolerance": tolerance,
        "largest_difference": worst,
        "labels_that_differ": disagreements,
        **sizes,
        **latency,
    }
    table = Table(COLUMNS, rows)
    if problems:
        reason = f"{onnx_model.MODEL} fails: {listing(problems)}"
        return GateResult("onnx", False, reason, figures, table)
    speedup = latency["sklearn_us"] / latency["onnx_us"]
    reason = (
        f"the ONNX export matches the pipeline on {len(x)} holdout rows (largest difference "
        f"{worst:.2g}, tolerance {tolerance:g}); one row takes {latency['onnx_us']:.0f} µs, "
        f"{speedup:.0f}x faster than scikit-learn."
    )
    return GateResult("onnx", True, reason, figures, table)


def agreement(expected: tuple, actual: tuple, tolerance: float) -> tuple[float, int]:
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


def _provenance(record: dict, model: onnx_model.OnnxModel) -> tuple[list[str], list[list]]:
    """Problems and table rows of the file's identity: its hash and the run it came from."""
    recorded = record.get("onnx", {}).get("sha256", "")
    run_id = record["model"]["run_id"]
    exported_from = model.metadata.get("run_id", "unknown")
    problems = []
    if not recorded:
        problems.append("model/record.json names no exported model (run `make export`)")
    elif model.sha256 != recorded:
        problems.append(f"its sha256 {model.sha256[:12]} is not the record's {recorded[:12]}")
    if exported_from != run_id:
        problems.append(f"it was exported from run {exported_from}, the record names {run_id}")
    rows = [
        ["sha256", None, model.sha256[:12], recorded[:12], _verdict(model.sha256 == recorded)],
        ["exported from run", None, exported_from, run_id, _verdict(exported_from == run_id)],
    ]
    return problems, rows


def median_us(call, times: int) -> float:
    """The median time of ``call`` over ``times`` calls, in microseconds, after one warm-up."""
    call()
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append(time.perf_counter() - started)
    return float(np.median(spent) * 1e6)


def _verdict(good: bool) -> str:
    return "pass" if good else "fail"
