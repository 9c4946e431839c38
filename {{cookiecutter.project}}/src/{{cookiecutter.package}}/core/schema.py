"""Declared shape of the dataset, and the check of a table against it."""

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator


class Column(BaseModel):
    """One column: its kind and the values it may take."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["number", "integer", "category", "text"]  # text: free text, never a feature
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _bounds_fit_kind(self) -> "Column":
        if self.kind == "category" and self.values is None:
            raise ValueError(f"category column {self.name!r} needs its allowed values")
        if self.kind != "category" and self.values is not None:
            raise ValueError(f"{self.kind} column {self.name!r} takes no list of values")
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
        return self

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
            if c.name != self.target and c.kind != "text" and c.name not in exclude
        ]

    def read_dtypes(self) -> dict[str, str]:
        """Dtypes to read a CSV with, so categories stay text."""
        return {c.name: "str" for c in self.columns if c.kind in ("category", "text")}


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
    if empty:
        return [f"{name}: {empty} missing values"]
    if column.kind == "text":
        return []
    if column.kind == "category":
        unknown = sorted(set(values.astype(str)) - set(column.values))
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
