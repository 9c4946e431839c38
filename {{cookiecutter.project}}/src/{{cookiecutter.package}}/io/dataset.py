"""What the data must look like: ``schema.yaml``, checked against ``policy.yaml``.

``schema.yaml`` declares the columns of the table ``data.source`` names (``io/sources.py`` reads
it): ``make schema`` proposes it from the data, people review and commit it, and every task
checks the data against it. The prediction service reads it too, so this module needs no pandas.
"""

from pathlib import Path

import yaml
from pydantic import ValidationError

from ..core import ProjectError
from ..core.policy import Policy, describe, schema_problems
from ..core.schema import Column, DatasetSchema
from .files import read_yaml, write_atomic

SCHEMA_FILE = Path("schema.yaml")
SCHEMA_HEADER = """\
# The columns of the data (data/dataset.csv), checked by every task. `make schema` proposed it
# from the data; review it (kinds, ranges, allowed values, descriptions) and commit it: it is
# yours now. Kinds: number, integer, category (values) are model inputs; text and id never are.
# nullable: true allows missing values. The prediction service refuses values outside ranges
# and categories, so widen a range to what is plausible, not only what was seen.
"""


def load_schema(root: Path, rules: Policy) -> DatasetSchema:
    """``schema.yaml`` with the policy's target, checked against the policy; one line if not."""
    hint = " (run `make schema` to propose one)"
    columns = read_yaml(root / SCHEMA_FILE, SCHEMA_FILE, hint).get("columns")
    if not isinstance(columns, list):
        raise ProjectError(f"{SCHEMA_FILE}: needs a list under 'columns'")
    names = [column.get("name") for column in columns if isinstance(column, dict)]
    if rules.data.target not in names:
        raise ProjectError(
            f"policy.yaml: data.target {rules.data.target!r} is not a column of {SCHEMA_FILE} "
            f"(a new table? delete {SCHEMA_FILE}, then run `make data schema`)"
        )
    try:
        schema = schema_of(columns, rules)
    except ValidationError as error:
        raise ProjectError(f"{SCHEMA_FILE}: {describe(error)}") from None
    problems = policy_problems(schema, rules) + schema_problems(rules, schema)
    if problems:
        raise ProjectError("; ".join(f"policy.yaml: {problem}" for problem in problems))
    return schema


def schema_of(columns: list, rules: Policy) -> DatasetSchema:
    """The dataset schema of ``columns`` with the policy's target and positive class.

    Without ``data.positive``, a classification scores the last of the target's values in
    sorted order (``1`` of 0/1, ``Yes`` of No/Yes).
    """
    positive = rules.data.positive
    if rules.task == "classification" and positive is None:
        target = next((c for c in columns if _name(c) == rules.data.target), None)
        values: list[str] = []
        if isinstance(target, dict):
            values = target.get("values") or []
        elif target is not None:
            values = target.values or []
        positive = sorted(values)[-1] if values else None
    return DatasetSchema(target=rules.data.target, positive=positive, columns=columns)


def _name(column) -> str | None:
    return column.get("name") if isinstance(column, dict) else column.name


def policy_problems(schema: DatasetSchema, rules: Policy) -> list[str]:
    """Where the policy names columns or values the schema does not have."""
    data, found = rules.data, []
    target = schema.column(schema.target)
    if rules.task == "classification":
        values = target.values or []
        if target.kind != "category":
            found.append(f"data.target {data.target!r} must be a category to classify")
        elif schema.positive not in values:
            found.append(f"data.positive {schema.positive!r} is not a value of {data.target!r}")
        elif len(values) != 2:
            found.append(
                f"data.target {data.target!r} has {len(values)} classes {values}: binary "
                "classification needs exactly 2"
            )
    elif rules.task == "multiclass":
        values = target.values or []
        if target.kind != "category":
            found.append(f"data.target {data.target!r} must be a category to classify")
        elif len(values) < 3:
            found.append(
                f"data.target {data.target!r} has {len(values)} classes {values}: make the "
                "task classification (binary), or give it 3 or more"
            )
    elif target.kind not in ("number", "integer"):
        found.append(f"data.target {data.target!r} must be a number for regression")
    for key in ("id", "time"):
        name = getattr(data, key)
        if name is not None and name not in schema.names:
            found.append(f"data.{key} names {name!r}, which is not a column")
    return found


def described(root: Path) -> dict[str, str]:
    """Each column ``schema.yaml`` lists, with the description people wrote ("" if none).

    Read leniently: a missing or broken file describes nothing.
    """
    try:
        columns = read_yaml(root / SCHEMA_FILE, SCHEMA_FILE).get("columns") or []
        return {
            str(c["name"]): str(c.get("description") or "")
            for c in columns
            if isinstance(c, dict) and "name" in c
        }
    except (ProjectError, TypeError, AttributeError):
        return {}


def write_schema(root: Path, columns: list[Column]) -> Path:
    """Write ``schema.yaml`` from ``columns``, with the header that says how to own it."""
    listed = []
    for column in columns:
        entry = column.model_dump(exclude_defaults=True)
        if column.kind == "integer":  # 12, not 12.0
            entry |= {key: int(entry[key]) for key in ("min", "max") if key in entry}
        listed.append(entry)
    text = SCHEMA_HEADER + yaml.safe_dump(
        {"columns": listed}, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )
    write_atomic(root / SCHEMA_FILE, text)
    return root / SCHEMA_FILE
