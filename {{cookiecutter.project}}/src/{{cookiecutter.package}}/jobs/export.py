"""``make export``: the recorded pipeline to ONNX, ``model/model.onnx``, logged with its run.

The record keeps the file's sha256 and ``model_sha256``, the hash of what the model computes
(the file without the metadata naming its run): a rebuild must give back the same one.
"""

from pathlib import Path
from typing import Any

from ..core import ProjectError
from ..core.record import Export
from ..io import bundle, dataset, onnx_model, registry
from ..io.record import read_record, write_record
from . import policy


def export(root: Path) -> dict[str, Any]:
    """Export the record's model with one input per feature; returns the record's ``onnx``."""
    rules = policy(root)
    record = read_record(root)
    features = dataset.load_schema(root, rules).features(exclude=rules.data.excluded_features)
    names = [column.name for column in features]
    if record.features != names:
        raise ProjectError(
            f"the record's model takes {record.features}, the schema and policy give "
            f"{names} (run `make train evaluate`)"
        )
    model = record.model
    pipeline = registry.load_model(f"runs:/{model.run_id}/model")
    metadata = {
        "name": model.name,
        "version": model.version,
        "run_id": model.run_id,
        "data_sha256": record.data_sha256,
    }
    exported = onnx_model.export(pipeline, features, metadata, root / onnx_model.MODEL)
    exported["model_sha256"] = bundle.model_digest((root / onnx_model.MODEL).read_bytes())
    registry.log_export(record, root / onnx_model.MODEL, exported["sha256"])
    write_record(root, record.model_copy(update={"onnx": Export.model_validate(exported)}))
    return exported
