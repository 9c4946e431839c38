"""``make schema``: propose ``schema.yaml`` from the data snapshot, for people to review."""

from collections import Counter
from pathlib import Path

import pandas as pd

from ..core import ProjectError
from ..core.tables import infer
from ..io import dataset
from ..io.data import snapshot
from . import policy


def propose(root: Path) -> str:
    """Infer every column's kind, range or values and nullability; write ``schema.yaml``.

    Nothing is written when the policy's target or classes do not fit the data.
    """
    rules = policy(root)
    name, _ = snapshot(root)
    try:
        frame = pd.read_csv(root / name)
    except (OSError, ValueError) as error:
        raise ProjectError(f"{name}: cannot be read as CSV ({error})") from None
    if rules.data.target not in frame.columns:
        raise ProjectError(
            f"policy.yaml: data.target {rules.data.target!r} is not a column of {name} "
            f"(columns: {', '.join(map(str, frame.columns))}); rerun `make data` after fixing it"
        )
    columns = infer(frame, rules.data.target, rules.task)
    kept = dataset.described(root)
    columns = [c.model_copy(update={"description": kept.get(c.name, "")}) for c in columns]
    schema = dataset.schema_of(columns, rules)
    problems = dataset.policy_problems(schema, rules)
    if problems:
        raise ProjectError(f"policy.yaml does not fit the data: {'; '.join(problems)}")
    dataset.write_schema(root, columns)
    kinds = Counter(column.kind for column in columns)
    counts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    nullable = [column.name for column in columns if column.nullable]
    gaps = f"; missing values allowed in {', '.join(nullable)}" if nullable else ""
    return (
        f"wrote {dataset.SCHEMA_FILE}: {len(columns)} columns ({counts}){gaps}. "
        f"Review it (ranges, values, descriptions; `git diff {dataset.SCHEMA_FILE}`) and commit it."
    )
