"""The dataset on disk: written with a manifest, read back only if it still matches it."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import ProjectError
from ..core.policy import Policy
from ..core.schema import DatasetSchema
from ..core.tables import problems
from . import dataset, sources
from .files import read_json, sha256, shown, write_atomic, write_json

DATA = Path("data/dataset.csv")
MANIFEST = Path("data/manifest.json")


@dataclass
class Split:
    """Training and holdout parts of the data; ``y`` is 0/1 for classification."""

    x_train: pd.DataFrame
    y_train: pd.Series
    x_holdout: pd.DataFrame
    y_holdout: pd.Series


def fetch_dataset(root: Path, rules: Policy, say=lambda line: None) -> dict:
    """Read the policy's source, check it against ``schema.yaml``, write it with its manifest.

    Without a ``schema.yaml`` yet (a new source), the data is written unchecked so that
    ``make schema`` can propose one from it. ``say`` hears one line per step.
    """
    source = rules.data.source
    say(f"reading {shown(source)}")
    frame = sources.read_source(source, root)
    say(f"read {len(frame)} rows and {len(frame.columns)} columns")
    if rules.data.target not in frame.columns:
        raise ProjectError(
            f"policy.yaml: data.target {rules.data.target!r} is not a column of "
            f"{shown(source)} (columns: {', '.join(map(str, frame.columns))})"
        )
    unlabelled = frame[rules.data.target].isna()
    if unlabelled.any():
        frame = frame[~unlabelled].reset_index(drop=True)
        say(f"dropped {int(unlabelled.sum())} rows without a target ({rules.data.target})")
    before, described = _recorded_source(root), dataset.described(root)
    if not (root / dataset.SCHEMA_FILE).exists():
        say(f"no {dataset.SCHEMA_FILE} yet: run `make schema` to propose one from this data")
    elif (before or shown(source)) != shown(source) or rules.data.target not in described:
        was = f"the data came from {before}" if before else "its target is not in the schema"
        say(
            f"a new source ({was}): {dataset.SCHEMA_FILE} describes the old table, so run "
            "`make schema` to propose one for this one"
        )
    else:
        schema = dataset.load_schema(root, rules)
        check(frame, schema, f"data from {shown(source)}")
        frame = frame[schema.names]
        say(f"checked against {dataset.SCHEMA_FILE}: every column and value fits")
    write_atomic(root / DATA, frame.to_csv(index=False, lineterminator="\n"))
    manifest = {
        "file": DATA.name,
        "sha256": sha256(root / DATA),
        "rows": len(frame),
        "columns": [str(name) for name in frame.columns],
        "source": shown(source),
    }
    write_json(root / MANIFEST, manifest)
    return manifest


def _recorded_source(root: Path) -> str | None:
    """The source the current snapshot was read from, as its manifest shows it (if any)."""
    try:
        return read_json(root / MANIFEST, "data manifest").get("source")
    except ProjectError:
        return None


def load_dataset(root: Path, rules: Policy) -> tuple[pd.DataFrame, str]:
    """The dataset and its sha256, after checking it against the manifest and the schema."""
    name, actual = snapshot(root)
    return read_table(root / name, dataset.load_schema(root, rules), label=name), actual


def snapshot(root: Path) -> tuple[Path, str]:
    """The data file (relative to ``root``) and its sha256, once it matches the manifest."""
    manifest = read_json(root / MANIFEST, "data manifest (run `make data`)")
    name = MANIFEST.parent / manifest.get("file", DATA.name)
    path = root / name
    if not path.exists():
        raise ProjectError(f"{name}: data file not found (run `make data`)")
    actual = sha256(path)
    if actual != manifest.get("sha256"):
        raise ProjectError(
            f"{name}: sha256 {actual[:12]} does not match the manifest's "
            f"{str(manifest.get('sha256'))[:12]}: the data changed without `make data` "
            "(restore it, or rerun `make data` and commit both files)"
        )
    return name, actual


def read_table(path: Path, schema: DatasetSchema, label: Path | None = None) -> pd.DataFrame:
    """Read a CSV with the schema's dtypes and check it, failing with one readable error."""
    label = label or path
    try:
        frame = pd.read_csv(path, dtype=schema.read_dtypes())
    except (OSError, ValueError) as error:
        raise ProjectError(f"{label}: cannot be read as CSV ({error})") from None
    check(frame, schema, str(label))
    return model_ready(frame, schema)


def model_ready(frame: pd.DataFrame, schema: DatasetSchema) -> pd.DataFrame:
    """Missing categories as the empty string: how the exported model and the service take them."""
    gaps = [c.name for c in schema.columns if c.kind == "category" and c.nullable]
    present = [name for name in gaps if name in frame.columns]
    return frame.fillna({name: "" for name in present}) if present else frame


def check(
    frame: pd.DataFrame, schema: DatasetSchema, what: str, required: list[str] | None = None
) -> None:
    """Raise a ``ProjectError`` listing every way ``frame`` departs from ``schema``.

    ``required`` names the columns that must be there (default: all of the schema's).
    """
    found = problems(frame, schema, required)
    if found:
        raise ProjectError(f"{what} does not fit the schema: {'; '.join(found)}")


def split(frame: pd.DataFrame, schema: DatasetSchema, policy: Policy) -> Split:
    """Deterministic split into training and holdout (stratified for classification)."""
    from sklearn.model_selection import train_test_split  # imported here: the service needs none

    features = [c.name for c in schema.features(exclude=policy.data.excluded_features)]
    target = encode_target(frame[schema.target], schema, policy.task)
    x_train, x_holdout, y_train, y_holdout = train_test_split(
        frame[features],
        target,
        test_size=policy.data.holdout,
        random_state=policy.data.seed,
        stratify=target if policy.task != "regression" else None,
    )
    return Split(x_train, y_train, x_holdout, y_holdout)


def split_settings(policy: Policy) -> str:
    """The policy's split in a few words, as a run's tag records it: ``holdout 0.25, seed 42``."""
    return f"holdout {policy.data.holdout:g}, seed {policy.data.seed}"


def encode_target(target: pd.Series, schema: DatasetSchema, task: str) -> pd.Series:
    """The target as the model learns it.

    1 for the positive class (binary), the class's place in the schema's values (multiclass),
    or the numbers themselves (regression).
    """
    if task == "classification":
        return (target.astype(str) == schema.positive).astype(int)
    if task == "multiclass":
        classes = schema.column(schema.target).values
        return target.astype(str).map({name: index for index, name in enumerate(classes or [])})
    return pd.to_numeric(target).astype(float)


def holdout_rows(root: Path, policy: Policy) -> list[dict]:
    """The holdout's feature rows as plain dicts: realistic requests for the service."""
    frame, _ = load_dataset(root, policy)
    return request_rows(split(frame, dataset.load_schema(root, policy), policy).x_holdout)


def request_rows(table: pd.DataFrame) -> list[dict]:
    """A table's rows as plain dicts, as a client sends them: a missing value is ``None``."""
    return [
        {name: None if value == "" or pd.isna(value) else value for name, value in row.items()}
        for row in table.to_dict(orient="records")
    ]


def fingerprint(frame: pd.DataFrame, rows: pd.Index) -> dict:
    """Which rows of ``frame`` (the data as read from ``data/``) ``rows`` are, in a few bytes.

    Each row's hash covers its place in the file and its values; the sha256 of the sorted hashes
    does not depend on the rows' order. Returns ``{"rows": count, "sha256": hex}``.
    """
    hashes = np.sort(pd.util.hash_pandas_object(frame.loc[rows], index=True).to_numpy())
    return {"rows": len(rows), "sha256": hashlib.sha256(hashes.tobytes()).hexdigest()}
