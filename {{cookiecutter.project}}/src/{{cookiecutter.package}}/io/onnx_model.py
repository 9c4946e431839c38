"""The exported model, ``model/model.onnx``: written with skl2onnx, run with onnxruntime.

The export is here, with the training tools; running it is the service's (``serving/model.py``),
whose names are repeated here for the tasks that check an export.
"""

from pathlib import Path

from ..core import ProjectError
from ..core.schema import Column
from ..serving.model import MODEL, OnnxModel, digest, load, read
from .files import write_atomic

__all__ = ["MODEL", "OPSET", "OnnxModel", "digest", "export", "load", "read"]

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
