"""Production traffic for ``make monitor``: the predictions served, and labels joined by id.

Inputs (``MONITOR_INPUTS``) are the service's prediction log, JSON lines as
``io/prediction_log.py`` writes them (a local log is read with its rotated older files), or a
CSV table with the model's input columns (its ``id`` and target columns are used when present).
Labels (``MONITOR_LABELS``) are a CSV of ``id`` and the target column, e.g. outcomes recorded
later. Both may be a path or a URL pandas can read: https://, or s3:// and the like once the
matching fsspec package is added.
"""

import os
from pathlib import Path

import pandas as pd

from {{ cookiecutter.package }}.core import ProjectError
from {{ cookiecutter.package }}.core.schema import DatasetSchema
from {{ cookiecutter.package }}.io.data import check
from {{ cookiecutter.package }}.io.prediction_log import DEFAULT as DEFAULT_INPUTS

DEFAULT_LABELS = Path("logs/labels.csv")
LOG_KEYS = ["id", "time", "model_version", "features", "output"]
# Columns of the traffic table besides the model's inputs.
ID = "id"
TIME = "time"
VERSION = "model_version"
PREDICTED = "predicted"  # served class (0/1) or value
PREDICTION = "prediction"  # served positive-class probability, or value: what drift compares
TRUTH = "truth"  # the label, encoded as the model's target; missing until known


def sources(root: Path) -> tuple[str, str | None]:
    """Where inputs and labels are read from: the variables, else the local defaults."""
    inputs = os.environ.get("MONITOR_INPUTS") or str(root / DEFAULT_INPUTS)
    labels = os.environ.get("MONITOR_LABELS")
    if not labels and (root / DEFAULT_LABELS).exists():
        labels = str(root / DEFAULT_LABELS)
    return inputs, labels


def read_traffic(source: str, schema: DatasetSchema, features: list[str]) -> pd.DataFrame:
    """The traffic as one table: the model's inputs and the columns named above.

    A log has every one but ``truth``; a table has what it has.
    """
    if ".jsonl" in Path(source).name:
        frame = _read_log(source, schema)
    else:
        frame = _read_csv(source, schema)
        if schema.target in frame.columns:
            frame[TRUTH] = encode(frame[schema.target], schema)
    if frame.empty:
        raise ProjectError(f"{source}: holds no predictions")
    known = [name for name in frame.columns if name in schema.names]
    check(frame[known], schema, source, required=features)
    return frame


def read_labels(source: str, schema: DatasetSchema) -> pd.Series:
    """Ground truth by prediction id, encoded as the model's target (0/1 or a value)."""
    frame = _read_csv(source, schema)
    if ID not in frame.columns:
        raise ProjectError(f"{source}: labels need an 'id' column (the prediction's id)")
    known = [name for name in frame.columns if name in schema.names]
    check(frame[known], schema, source, required=[schema.target])
    labels = frame.drop_duplicates(ID, keep="last")
    return pd.Series(encode(labels[schema.target], schema).to_numpy(), index=labels[ID].to_numpy())


def encode(target: pd.Series, schema: DatasetSchema) -> pd.Series:
    """The target as the model learns it: 1 for the positive class (classification), or values."""
    if schema.positive is None:
        return pd.to_numeric(target).astype(float)
    return (target.astype(str) == schema.positive).astype(int)


def _read_log(source: str, schema: DatasetSchema) -> pd.DataFrame:
    parts = [_read_json_lines(one) for one in _with_rotated(source)]
    entries = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LOG_KEYS)
    missing = [key for key in LOG_KEYS if key not in entries.columns]
    if missing:
        raise ProjectError(f"{source}: log entries lack {', '.join(missing)}: not a prediction log")
    try:
        features = pd.DataFrame(entries["features"].tolist())
        outputs = pd.DataFrame(entries["output"].tolist())
    except (TypeError, ValueError):
        raise ProjectError(f"{source}: 'features' and 'output' must be JSON objects") from None
    frame = features.assign(
        **{ID: entries[ID].astype(str), TIME: entries[TIME], VERSION: entries[VERSION].astype(str)}
    )
    if schema.positive is None:
        if "value" not in outputs.columns:
            raise ProjectError(f"{source}: outputs have no 'value': not this model's log")
        return frame.assign(**{PREDICTED: outputs["value"], PREDICTION: outputs["value"]})
    if not {"label", "probability"} <= set(outputs.columns):
        raise ProjectError(f"{source}: outputs have no 'label' and 'probability'")
    predicted = (outputs["label"].astype(str) == schema.positive).astype(int)
    return frame.assign(**{PREDICTED: predicted, PREDICTION: outputs["probability"]})


def _with_rotated(source: str) -> list[str]:
    """A local log and its rotated older files (``.1``, ``.2``, ...), oldest first."""
    if "://" in source:
        return [source]
    path = Path(source)
    if not path.exists():
        raise ProjectError(
            f"{source}: no prediction log here (the service writes one where PREDICTION_LOG "
            "says; point MONITOR_INPUTS at it)"
        )
    older = sorted(path.parent.glob(f"{path.name}.[0-9]*"), key=lambda p: -int(p.suffix[1:]))
    return [str(p) for p in [*older, path] if p.stat().st_size]


def _read_json_lines(source: str) -> pd.DataFrame:
    try:
        return pd.read_json(source, lines=True, dtype=False, convert_dates=False)
    except (OSError, ValueError) as error:
        raise ProjectError(f"{source}: cannot be read as JSON lines ({error})") from None


def _read_csv(source: str, schema: DatasetSchema) -> pd.DataFrame:
    try:
        return pd.read_csv(source, dtype={ID: "str", **schema.read_dtypes()})
    except FileNotFoundError:
        raise ProjectError(f"{source}: file not found") from None
    except (OSError, ValueError) as error:
        raise ProjectError(f"{source}: cannot be read as CSV ({error})") from None
