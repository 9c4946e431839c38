"""The dataset on disk: written with a manifest, read back only if it still matches it."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core import ProjectError
from ..core.policy import Policy
from ..core.schema import DatasetSchema, problems
from . import dataset
from .files import read_json, sha256, write_atomic, write_json

DATA = Path("data/dataset.csv")
MANIFEST = Path("data/manifest.json")


@dataclass
class Split:
    """Training and holdout parts of the data; ``y`` is 0/1 for classification."""

    x_train: pd.DataFrame
    y_train: pd.Series
    x_holdout: pd.DataFrame
    y_holdout: pd.Series


def fetch_dataset(root: Path) -> dict:
    """Fetch the data, check it against the schema, and write it with its manifest."""
    frame = dataset.fetch()
    check(frame, dataset.SCHEMA, f"data from {dataset.SOURCE}")
    write_atomic(root / DATA, frame.to_csv(index=False, lineterminator="\n"))
    manifest = {
        "file": DATA.name,
        "sha256": sha256(root / DATA),
        "rows": len(frame),
        "columns": dataset.SCHEMA.names,
        "source": dataset.SOURCE,
    }
    write_json(root / MANIFEST, manifest)
    return manifest


def load_dataset(root: Path) -> tuple[pd.DataFrame, str]:
    """The dataset and its sha256, after checking it against the manifest and the schema."""
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
    return read_table(path, dataset.SCHEMA, shown=name), actual


def read_table(path: Path, schema: DatasetSchema, shown: Path | None = None) -> pd.DataFrame:
    """Read a CSV with the schema's dtypes and check it, failing with one readable error."""
    shown = shown or path
    try:
        frame = pd.read_csv(path, dtype=schema.read_dtypes())
    except (OSError, ValueError) as error:
        raise ProjectError(f"{shown}: cannot be read as CSV ({error})") from None
    check(frame, schema, str(shown))
    return frame


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
    target = frame[schema.target]
    if policy.task == "classification":
        target = (target == schema.positive).astype(int)
    x_train, x_holdout, y_train, y_holdout = train_test_split(
        frame[features],
        target,
        test_size=policy.data.holdout,
        random_state=policy.data.seed,
        stratify=target if policy.task == "classification" else None,
    )
    return Split(x_train, y_train, x_holdout, y_holdout)


def holdout_rows(root: Path, policy: Policy) -> list[dict]:
    """The holdout's feature rows as plain dicts: realistic requests for the service."""
    frame, _ = load_dataset(root)
    return split(frame, dataset.SCHEMA, policy).x_holdout.to_dict(orient="records")
