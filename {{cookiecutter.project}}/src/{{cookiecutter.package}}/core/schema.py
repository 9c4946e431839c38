"""Declared shape of the dataset (``schema.yaml``); ``core/tables.py`` checks a table against it.

Kinds: ``number``, ``integer``, ``category`` (with its allowed values) are model inputs; ``text``
(free text) and ``id`` (identifies a row) never are. ``nullable`` columns may hold missing values.
"""

from collections.abc import Hashable
from typing import Literal

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
