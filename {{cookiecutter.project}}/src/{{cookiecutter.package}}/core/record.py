"""The model record's shape: what ``make train``, ``evaluate`` and ``export`` write, validated.

Fields a later version adds are kept (``extra="allow"``), so an older reader passes them on.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import ProjectError
from .policy import describe


class Open(BaseModel):
    """A record section: the fields below are checked, other fields are kept as they are."""

    model_config = ConfigDict(extra="allow")


class ModelRef(Open):
    """The registered model version and the MLflow run that trained it."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    run_id: str = Field(min_length=1)


class Rows(Open):
    """How many rows each split had."""

    train: int = Field(ge=0)
    holdout: int = Field(ge=0)


class Export(Open):
    """The ONNX export of the recorded model: its file, the file's sha256 and size in bytes.

    ``model_sha256`` hashes what the model computes (the file without the metadata naming its
    run): ``make match`` compares a rebuild's with the committed record's.
    """

    file: str
    sha256: str = Field(min_length=1)
    model_sha256: str = Field(min_length=1)
    bytes: int = Field(ge=0)


class Fingerprint(Open):
    """Some rows of ``data/``: how many, and the sha256 of their sorted row hashes."""

    rows: int = Field(ge=0)
    sha256: str = Field(min_length=1)


class Split(Open):
    """The rows training fitted the model on and the holdout it was judged on."""

    fit: Fingerprint
    holdout: Fingerprint


class Record(Open):
    """``model/record.json``: the trained model, what it was made from, and its holdout metrics."""

    model: ModelRef
    task: Literal["classification", "multiclass", "regression"]
    features: list[str]
    data_sha256: str
    params: dict[str, Any] = {}
    rows: Rows | None = None
    split: Split | None = None
    git_sha: str = "unknown"
    git_dirty: bool = False
    lock_sha256: str = "missing"
    python: str = ""
    metrics: dict[str, float] = {}
    onnx: Export | None = None

    def lineage(self) -> dict[str, str]:
        """The values tying the model to its run, commit, data and lock (the card states them)."""
        return {
            "run_id": self.model.run_id,
            "model_version": self.model.version,
            "git_sha": self.git_sha,
            "data_sha256": self.data_sha256,
            "lock_sha256": self.lock_sha256,
        }

    def to_json(self) -> dict[str, Any]:
        """The record as JSON values, without the sections it does not have yet."""
        missing = {name for name in ("rows", "split", "onnx") if getattr(self, name) is None}
        return self.model_dump(mode="json", exclude=missing)


def parse_record(data: object, where: str) -> Record:
    """A ``Record`` from JSON values, or one ``ProjectError`` naming every broken field."""
    try:
        return Record.model_validate(data)
    except ValidationError as error:
        raise ProjectError(
            f"{where}: not a model record ({describe(error)}); run `make train evaluate`"
        ) from None
