"""Gate ``onnx``: the exported model predicts what the scikit-learn pipeline predicts.

Both score the holdout. Outputs (probabilities, or values) must agree within the policy's
tolerance, relative to the value where it exceeds 1; labels must match; and ``model/model.onnx``
must be the recorded export of the recorded run. File sizes and single-row latencies are reported.
The figures are gathered here and judged by ``core.onnx.verdict``.
"""

import pickle
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ...core import ProjectError, inputs
from ...core.gates import GateResult
from ...core.metrics import outputs
from ...core.onnx import Parity, agreement, verdict
from ...io import dataset, onnx_model, registry
from ...io.data import load_dataset, split
from ...io.record import read_record
from .. import policy

SKLEARN_CALLS, ONNX_CALLS = 200, 2000  # single-row predictions timed, for a stable median


def check(root: Path) -> GateResult:
    """Compare the exported model with the recorded pipeline on the holdout."""
    rules = policy(root)
    record = read_record(root)
    tolerance = rules.gates.onnx.tolerance
    frame, _ = load_dataset(root, rules)
    schema = dataset.load_schema(root, rules)
    x = split(frame, schema, rules).x_holdout
    features = schema.features(exclude=rules.data.excluded_features)
    pipeline = registry.load_model(f"runs:/{record.model.run_id}/model")
    try:
        content = (root / onnx_model.MODEL).read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{onnx_model.MODEL} not found (run `make export`)") from None
    model = onnx_model.OnnxModel(content, rules.task)
    expected = outputs(pipeline, x, rules.task)
    worst, disagreements = agreement(
        expected, model.predict(inputs.table_columns(x, features)), tolerance
    )
    one, row = x.iloc[:1], inputs.table_columns(x.iloc[:1], features)
    parity = Parity(
        file=onnx_model.MODEL.as_posix(),
        sha256=model.sha256,
        exported_from=model.metadata.get("run_id", "unknown"),
        rows=len(x),
        worst=worst,
        disagreements=disagreements,
        sizes={"sklearn_pickle_bytes": len(pickle.dumps(pipeline)), "onnx_bytes": len(content)},
        latency={
            "sklearn_us": median_us(lambda: outputs(pipeline, one, rules.task), SKLEARN_CALLS),
            "onnx_us": median_us(lambda: model.predict(row), ONNX_CALLS),
        },
    )
    return verdict(parity, record, tolerance)


def median_us(call: Callable[[], object], times: int) -> float:
    """The median time of ``call`` over ``times`` calls, in microseconds, after one warm-up."""
    call()
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append(time.perf_counter() - started)
    return float(np.median(spent) * 1e6)
