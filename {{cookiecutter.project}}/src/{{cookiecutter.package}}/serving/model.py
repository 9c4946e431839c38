"""The exported model, ``model/model.onnx``, run by an onnxruntime session.

The service runs this file, not the scikit-learn pipeline (``io/onnx_model.py`` writes it). It
takes one input per feature column (see ``core/inputs.py``), and the record holds its sha256: a
file that differs is refused.
"""

import hashlib
from pathlib import Path

import numpy as np

from ..core import ProjectError
from ..core.record import Record

MODEL = Path("model/model.onnx")


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
        self.outputs = [item.name for item in self.session.get_outputs()]
        self.sha256 = digest(content)
        self.size = len(content)
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)

    def predict(self, columns: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions, and probabilities for a classifier as ``core.metrics.outputs`` gives them.

        ``columns`` are the model's inputs in its features' order (``core/inputs.py``).
        """
        outputs = self.session.run(self.outputs, dict(zip(self.inputs, columns.values())))
        if self.task == "classification":
            return outputs[0], outputs[1][:, 1]
        if self.task == "multiclass":
            return outputs[0], outputs[1]
        return outputs[0].ravel(), None


def read(root: Path, record: Record) -> bytes:
    """The exported model's bytes, refused unless their sha256 is the record's."""
    expected = record.onnx.sha256 if record.onnx is not None else None
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


def load(root: Path, record: Record) -> OnnxModel:
    """The record's exported model, ready to predict (see ``read`` for the check)."""
    return OnnxModel(read(root, record), record.task)
