"""A table against its schema: the check of a table, and a schema inferred from one.

Apart from ``core/schema.py`` because it needs pandas, which the prediction service does not
load.
"""

from typing import Any

import pandas as pd

from .schema import Column, DatasetSchema


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
