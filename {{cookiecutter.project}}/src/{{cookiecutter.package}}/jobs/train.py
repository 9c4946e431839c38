"""``make train``: fit the pipeline on the training split, track it in MLflow, write the record."""

from pathlib import Path

from ..core.pipeline import PARAMS, build_pipeline
from ..core.record import Record
from ..io import dataset, registry
from ..io.data import DATA, load_dataset, split
from ..io.record import provenance, write_record
from . import policy


def train(root: Path) -> Record:
    """Train, log and register the model; returns the new record (metrics come from evaluate)."""
    rules = policy(root)
    frame, data_sha256 = load_dataset(root, rules)
    schema = dataset.load_schema(root, rules)
    parts = split(frame, schema, rules)
    features = schema.features(exclude=rules.data.excluded_features)
    pipeline = build_pipeline(features, seed=rules.data.seed)
    pipeline.fit(parts.x_train, parts.y_train)

    origin = provenance(root)
    params = {**PARAMS, "seed": rules.data.seed, "holdout": rules.data.holdout}
    tags = {"data_sha256": data_sha256, **{k: str(v) for k, v in origin.items()}}
    example = parts.x_train.head(5)
    data = registry.Dataset(root / DATA, DATA.as_posix(), frame, rules.data.target, data_sha256)
    model = registry.log_training(pipeline, example, params, tags, data)
    record = Record.model_validate(
        {
            "model": model,
            "task": rules.task,
            "features": [c.name for c in features],
            "params": params,
            "data_sha256": data_sha256,
            "rows": {"train": len(parts.x_train), "holdout": len(parts.x_holdout)},
            **origin,
        }
    )
    write_record(root, record)
    return record
