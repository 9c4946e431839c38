"""The exported model, ``model/model.onnx``: written with skl2onnx, run with onnxruntime.

The service runs this file, not the scikit-learn pipeline. It takes one input per feature column
(see ``core/inputs.py``), and the record holds its sha256: a file that differs is refused.
"""

import hashlib
from pathlib import Path

import numpy as np

from ..core import ProjectError
from ..core.schema import Column
from .files import write_atomic

MODEL = Path("model/model.onnx")
OPSET = 18  # the ONNX operator set; onnxruntime 1.14 and later run it


def export(pipeline, features: list[Column], metadata: dict[str, str], path: Path) -> dict:
    """Convert a fitted pipeline and write it to ``path``; returns its file, sha256 and size."""
    from .onnx_threshold import to_onnx  # skl2onnx's, keeping a tuned threshold
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
    from sklearn.base import is_classifier

    types = {"number": FloatTensorType, "integer": Int64TensorType, "category": StringTensorType}
    inputs = [(column.name, types[column.kind]([None, 1])) for column in features]
    # Without zipmap a classifier's probabilities are one array, not a list of dicts.
    options = {id(pipeline): {"zipmap": False}} if is_classifier(pipeline) else None
    try:
        converted = to_onnx(pipeline, initial_types=inputs, options=options, target_opset=OPSET)
    except (RuntimeError, NotImplementedError, TypeError, ValueError) as error:
        steps = ", ".join(type(step).__name__ for step in pipeline.named_steps.values())
        first = (str(error).strip().splitlines() or ["no reason given"])[0]
        raise ProjectError(
            f"the pipeline ({steps}) cannot be exported to ONNX: {first} (skl2onnx converts "
            "scikit-learn's own estimators; see its list of supported models)"
        ) from None
    for key, value in metadata.items():
        converted.metadata_props.add(key=key, value=str(value))
    content = converted.SerializeToString()
    write_atomic(path, content)
    return {"file": MODEL.as_posix(), "sha256": digest(content), "bytes": len(content)}


def digest(content: bytes) -> str:
    """Hex sha256 of ``content``."""
    return hashlib.sha256(content).hexdigest()


class OnnxModel:
    """An onnxruntime session over the exported bytes: one thread, which never spins idle."""

    def __init__(self, content: bytes, task: str):
        """Start a session on ``content``; a file onnxruntime cannot load is a ``ProjectError``."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(
                content, options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime's errors derive from Exception alone
            raise ProjectError(f"{MODEL} cannot be loaded by onnxruntime: {error}") from None
        self.task = task
        # skl2onnx makes each input name a plain identifier ("a b" -> "a_b"): feed by position.
        self.inputs = [item.name for item in self.session.get_inputs()]
        self.sha256 = digest(content)
        self.size = len(content)
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)

    def predict(self, columns: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions, and probabilities for a classifier as ``core.metrics.outputs`` gives them.

        ``columns`` are the model's inputs in its features' order (``core/inputs.py``).
        """
        outputs = self.session.run(None, dict(zip(self.inputs, columns.values())))
        if self.task == "classification":
            return outputs[0], outputs[1][:, 1]
        if self.task == "multiclass":
            return outputs[0], outputs[1]
        return outputs[0].ravel(), None


def read(root: Path, record: dict) -> bytes:
    """The exported model's bytes, refused unless their sha256 is the record's."""
    expected = record.get("onnx", {}).get("sha256")
    if not expected:
        raise ProjectError("model/record.json names no exported model (run `make export`)")
    try:
        content = (root / MODEL).read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{MODEL} not found (run `make export`)") from None
    actual = digest(content)
    if actual != expected:
        raise ProjectError(
            f"{MODEL} has sha256 {actual[:12]}, the record says {expected[:12]}: "
            "it is not the recorded model's export (run `make export`, or restore the file)"
        )
    return content


def load(root: Path, record: dict) -> OnnxModel:
    """The record's exported model, ready to predict (see ``read`` for the check)."""
    return OnnxModel(read(root, record), record["task"])
