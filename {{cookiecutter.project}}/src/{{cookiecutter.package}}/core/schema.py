"""Declared shape of the dataset (``schema.yaml``), its inference, and the check of a table.

Kinds: ``number``, ``integer``, ``category`` (with its allowed values) are model inputs; ``text``
(free text) and ``id`` (identifies a row) never are. ``nullable`` columns may hold missing values.
"""

from collections.abc import Hashable
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Column(BaseModel):
    """One column: its kind and the values it may take."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    kind: Literal["number", "integer", "category", "text", "id"]
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    nullable: bool = False
    description: str = ""

    @model_validator(mode="after")
    def _bounds_fit_kind(self) -> "Column":
        if self.kind == "category" and self.values is None:
            raise ValueError(f"category column {self.name!r} needs its allowed values")
        if self.kind != "category" and self.values is not None:
            raise ValueError(f"{self.kind} column {self.name!r} takes no list of values")
        if self.kind == "integer" and self.nullable:
            raise ValueError(f"integer column {self.name!r} cannot be nullable: make it a number")
        return self


class DatasetSchema(BaseModel):
    """All columns of the dataset, the target among them."""

    model_config = ConfigDict(extra="forbid")

    target: str
    positive: str | None = None
    columns: list[Column]

    @model_validator(mode="after")
    def _target_is_a_column(self) -> "DatasetSchema":
        if self.target not in self.names:
            raise ValueError(f"target {self.target!r} is not one of the columns")
        repeated = sorted({name for name in self.names if self.names.count(name) > 1})
        if repeated:
            raise ValueError(f"columns named more than once: {repeated}")
        return self

    @property
    def task(self) -> str:
        """The task the target makes: regression, classification (binary) or multiclass.

        A number is regression; a category with a positive class is binary, without one
        multiclass.
        """
        if self.column(self.target).kind != "category":
            return "regression"
        return "classification" if self.positive is not None else "multiclass"

    @property
    def classes(self) -> list[str]:
        """A classifier's class names, in the model's order (none for regression).

        Binary: the other class, then the positive one (0 and 1); multiclass: the target's
        values.
        """
        values = self.column(self.target).values or []
        if self.task == "classification" and self.positive is not None:
            others = [value for value in values if value != self.positive]
            return [others[0] if len(others) == 1 else f"not {self.positive}", self.positive]
        return list(values)

    @property
    def names(self) -> list[str]:
        """Column names, in declared order."""
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(column for column in self.columns if column.name == name)

    def features(self, exclude: list[str]) -> list[Column]:
        """Model inputs: every column but the target, text columns and those in ``exclude``."""
        return [
            c
            for c in self.columns
            if c.name != self.target and c.kind not in ("text", "id") and c.name not in exclude
        ]

    def read_dtypes(self) -> dict[Hashable, str]:
        """Dtypes to read a CSV with, so categories stay text."""
        return {c.name: "str" for c in self.columns if c.kind in ("category", "text", "id")}


def problems(
    frame: pd.DataFrame, schema: DatasetSchema, required: list[str] | None = None
) -> list[str]:
    """Every way ``frame`` departs from ``schema``, as readable sentences (empty when it fits).

    ``required`` names the columns that must be there (default: all of the schema's).
    """
    found = []
    wanted = schema.names if required is None else required
    missing = [name for name in wanted if name not in frame.columns]
    extra = [name for name in frame.columns if name not in schema.names]
    if missing:
        found.append(f"missing columns: {', '.join(missing)}")
    if extra:
        found.append(f"unexpected columns: {', '.join(map(str, extra))}")
    for column in schema.columns:
        if column.name in frame.columns:
            found.extend(_column_problems(frame[column.name], column))
    return found


def _column_problems(values: pd.Series, column: Column) -> list[str]:
    name = f"column {column.name!r}"
    empty = int(values.isna().sum())
    if empty and not column.nullable:
        return [f"{name}: {empty} missing values (mark it nullable: true if they are expected)"]
    values = values.dropna()
    if column.kind in ("text", "id"):
        return []
    if column.kind == "category":
        unknown = sorted(set(values.astype(str)) - set(column.values or []))
        if unknown:
            return [f"{name}: unexpected values {unknown[:5]} (allowed: {column.values})"]
        return []
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        bad = values[numbers.isna()].iloc[0]
        return [f"{name}: expected numbers, found {bad!r}"]
    if column.kind == "integer" and not (numbers == numbers.round()).all():
        return [f"{name}: expected whole numbers"]
    found = []
    if column.min is not None and (numbers < column.min).any():
        found.append(f"{name}: {int((numbers < column.min).sum())} values below {column.min:g}")
    if column.max is not None and (numbers > column.max).any():
        found.append(f"{name}: {int((numbers > column.max).sum())} values above {column.max:g}")
    return found


# A text column with at most this many distinct values (and few per row) is a category.
MAX_CATEGORIES = 50


def infer(frame: pd.DataFrame, target: str, task: str) -> list[Column]:
    """A proposed column list for ``frame``: kinds, ranges, categories and nullability.

    Numbers with only whole values and no gaps are integers; text with few distinct values is a
    category (the target of a classification always is); text with a distinct value in every
    row is an id; other text is free text. Ranges are the ones seen: widen them by hand to what
    is plausible, since the service refuses values outside them.
    """
    columns = []
    for name in frame.columns:
        values = frame[name]
        present = values.dropna()
        nullable = bool(values.isna().any())
        is_target = name == target
        if is_target and task != "regression":
            kind = "category"
        elif pd.api.types.is_bool_dtype(values):
            kind = "category"
        elif pd.api.types.is_numeric_dtype(values):
            whole = bool((present == present.round()).all())
            kind = "integer" if whole and not nullable else "number"
        elif present.nunique() <= min(MAX_CATEGORIES, max(2, len(present) // 2)):
            kind = "category"
        elif present.nunique() == len(values):
            kind = "id"
        else:
            kind = "text"
        column: dict[str, Any] = {"name": str(name), "kind": kind, "nullable": nullable}
        if kind == "category":
            column["values"] = sorted(present.astype(str).unique().tolist())
        elif kind in ("number", "integer") and len(present):
            low, high = float(present.min()), float(present.max())
            column |= {"min": low, "max": high}
            if kind == "integer":
                column |= {"min": int(low), "max": int(high)}
        columns.append(Column(**column))
    return columns
