"""Production traffic for ``make monitor``: the predictions served, and labels joined by id.

Inputs (``MONITOR_INPUTS``) are the service's prediction log, JSON lines as
``serving/prediction_log.py`` writes them, named ``*.jsonl`` or ``*.ndjson`` (a local log is read
with its rotated older files), or else a CSV table with the model's input columns; a table's ``id``,
``time`` (seconds since the epoch), ``model_version`` and target columns are used when present.
Labels (``MONITOR_LABELS``) are a CSV of ``id`` and the target column, e.g. outcomes recorded
later. Both may be a path or a URL pandas can read: https://, or s3:// and the like once the
matching fsspec package is added. A URL is printed without its credentials or query.
"""

import glob
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from ..core import ProjectError
from ..core.schema import DatasetSchema
from .data import check, encode_target
from .files import shown, without_credentials
from ..serving.prediction_log import DEFAULT as DEFAULT_INPUTS

DEFAULT_LABELS = Path("logs/labels.csv")
LOG_KEYS = ["id", "time", "model_version", "features", "output"]
LOG_NAME = re.compile(r"\.(jsonl|ndjson)(\.\d+)?(\.gz)?$")  # a log; any other name is a CSV table
ROTATED = re.compile(r"\.(\d+)")  # predictions.jsonl.1, .2, ... as the service rotates them
# Columns of the traffic table besides the model's inputs.
ID = "id"
TIME = "time"
VERSION = "model_version"
PREDICTED = "predicted"  # served class (its index) or value
# What drift compares: the positive class's probability (binary), the class (multiclass), or
# the value (regression).
PREDICTION = "prediction"
PROBABILITY = "probability: "  # multiclass: one column per class, "probability: <class>"
TRUTH = "truth"  # the label, encoded as the model's target; missing until known


def sources(root: Path) -> tuple[str, str | None]:
    """Where inputs and labels are read from: the variables, else the local defaults."""
    inputs = os.environ.get("MONITOR_INPUTS") or str(root / DEFAULT_INPUTS)
    labels = os.environ.get("MONITOR_LABELS")
    if not labels and (root / DEFAULT_LABELS).exists():
        labels = str(root / DEFAULT_LABELS)
    return inputs, labels


def read_traffic(source: str, schema: DatasetSchema) -> pd.DataFrame:
    """Everything the source holds, as one table of the columns named above and the inputs.

    A prediction log fills every column but ``truth``. A table keeps its own columns; the
    served ones are computed again, since a table is not what was served.
    """
    if LOG_NAME.search(Path(urlsplit(source).path).name):
        frame = _read_log(source, schema)
    else:
        frame = _read_csv(source, schema)
        served = [
            c
            for c in frame
            if c in (PREDICTED, PREDICTION, TRUTH) or str(c).startswith(PROBABILITY)
        ]
        frame = frame.drop(columns=served)
    if frame.empty:
        raise ProjectError(f"{shown(source)}: holds no predictions")
    if TIME in frame:
        frame[TIME] = pd.to_numeric(frame[TIME], errors="coerce")
        if frame[TIME].isna().any():
            raise ProjectError(f"{shown(source)}: column 'time' must be seconds since the epoch")
    if VERSION in frame:
        frame[VERSION] = frame[VERSION].astype(str)
    return frame


def checked(
    frame: pd.DataFrame, schema: DatasetSchema, inputs: list[str], source: str
) -> pd.DataFrame:
    """``frame`` once its columns fit the schema and hold ``inputs``.

    A target column (a table of outcomes) becomes ``truth``.
    """
    known = [name for name in frame.columns if name in schema.names]
    check(frame[known], schema, shown(source), required=inputs)
    if schema.target in frame.columns:
        frame = frame.assign(**{TRUTH: encode(frame[schema.target], schema)})
    return frame


def read_labels(source: str, schema: DatasetSchema) -> pd.Series:
    """Ground truth by prediction id, encoded as the model's target (0/1 or a value)."""
    frame = _read_csv(source, schema)
    if ID not in frame.columns:
        raise ProjectError(f"{shown(source)}: labels need an 'id' column (the prediction's id)")
    known = [name for name in frame.columns if name in schema.names]
    check(frame[known], schema, shown(source), required=[schema.target])
    labels = frame.drop_duplicates(ID, keep="last")
    return pd.Series(encode(labels[schema.target], schema).to_numpy(), index=labels[ID].to_numpy())


def encode(target: pd.Series, schema: DatasetSchema) -> pd.Series:
    """The target as the model learns it (see ``io/data.py::encode_target``)."""
    return encode_target(target, schema, schema.task)


def _read_log(source: str, schema: DatasetSchema) -> pd.DataFrame:
    parts = [_read_json_lines(one) for one in _with_rotated(source)]
    if not parts or all(part.empty for part in parts):
        raise ProjectError(f"{shown(source)}: holds no predictions")
    entries = pd.concat(parts, ignore_index=True)
    missing = [key for key in LOG_KEYS if key not in entries.columns]
    if missing:
        raise ProjectError(
            f"{shown(source)}: log entries lack {', '.join(missing)}: not a prediction log"
        )
    try:
        features = pd.DataFrame(entries["features"].tolist())
        outputs = pd.DataFrame(entries["output"].tolist())
    except (TypeError, ValueError):
        raise ProjectError(
            f"{shown(source)}: 'features' and 'output' must be JSON objects"
        ) from None
    frame = features.assign(
        **{ID: entries[ID].astype(str), TIME: entries[TIME], VERSION: entries[VERSION]}
    )
    if schema.task == "multiclass":
        if not {"label", "probabilities"} <= set(outputs.columns):
            raise ProjectError(f"{shown(source)}: outputs have no 'label' and 'probabilities'")
        probabilities = pd.DataFrame(outputs["probabilities"].tolist())
        missing = [name for name in schema.classes if name not in probabilities.columns]
        if missing:
            raise ProjectError(f"{shown(source)}: outputs lack the probabilities of {missing}")
        frame = frame.assign(
            **{PREDICTED: encode(outputs["label"], schema), PREDICTION: outputs["label"]}
        )
        return frame.assign(**{PROBABILITY + c: probabilities[c] for c in schema.classes})
    if schema.task == "regression":
        if "value" not in outputs.columns:
            raise ProjectError(f"{shown(source)}: outputs have no 'value': not this model's log")
        return frame.assign(**{PREDICTED: outputs["value"], PREDICTION: outputs["value"]})
    if not {"label", "probability"} <= set(outputs.columns):
        raise ProjectError(f"{shown(source)}: outputs have no 'label' and 'probability'")
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
    older = []
    for candidate in path.parent.glob(f"{glob.escape(path.name)}.*"):
        number = ROTATED.fullmatch(candidate.name[len(path.name) :])
        if number:
            older.append((int(number[1]), candidate))
    files = [p for _, p in sorted(older, reverse=True)] + [path]
    return [str(p) for p in files if p.stat().st_size]


def _read_json_lines(source: str) -> pd.DataFrame:
    try:
        return pd.read_json(source, lines=True, dtype=False, convert_dates=False)
    except (OSError, ValueError) as error:
        message = without_credentials(str(error).replace(source, shown(source)))
        raise ProjectError(f"{shown(source)}: cannot be read as JSON lines ({message})") from None


def _read_csv(source: str, schema: DatasetSchema) -> pd.DataFrame:
    try:
        return pd.read_csv(source, dtype={ID: "str", VERSION: "str", **schema.read_dtypes()})
    except FileNotFoundError:
        raise ProjectError(f"{shown(source)}: file not found") from None
    except (OSError, ValueError) as error:
        message = without_credentials(str(error).replace(source, shown(source)))
        raise ProjectError(f"{shown(source)}: cannot be read as CSV ({message})") from None
