"""``make train``: fit the pipeline on the training split, track it in MLflow, write the record."""

from pathlib import Path

from ..core.pipeline import PARAMS, build_pipeline
from ..core.record import Record
from ..io import dataset, registry
from ..io.data import DATA, fingerprint, load_dataset, split, split_settings
from ..io.record import provenance, write_record
from . import policy


def train(root: Path) -> Record:
    """Train, log and register the model; returns the new record (metrics come from evaluate).

    The record names the rows the model was fitted on and the holdout it is judged on by their
    fingerprints; the accuracy gate derives the split again and checks them.
    """
    rules = policy(root)
    frame, data_sha256 = load_dataset(root, rules)
    schema = dataset.load_schema(root, rules)
    parts = split(frame, schema, rules)
    features = schema.features(exclude=rules.data.excluded_features)
    pipeline = build_pipeline(features, seed=rules.data.seed)
    x, y = parts.x_train, parts.y_train
    pipeline.fit(x, y)
    rows = {
        "fit": fingerprint(frame, x.index),
        "holdout": fingerprint(frame, parts.x_holdout.index),
    }

    origin = provenance(root)
    params = {**PARAMS, "seed": rules.data.seed, "holdout": rules.data.holdout}
    tags = {
        "data_sha256": data_sha256,
        "holdout_sha256": rows["holdout"]["sha256"],
        "split": split_settings(rules),
        **{k: str(v) for k, v in origin.items()},
    }
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
            "rows": {"train": len(x), "holdout": len(parts.x_holdout)},
            "split": rows,
            **origin,
            "metrics": {},
        }
    )
    write_record(root, record)
    return record
