"""``make review``: record that people re-read the goal, the KPI and the model card for this data.

``policy.yaml``'s goal and KPI and ``model_card.yaml``'s human parts are written for one table.
The review record, ``reviewed_for`` at the end of ``model_card.yaml``, names the data they were
last read against: its source, target and columns with their kinds. The governance gate fails
when today's data differs, so a new source or schema cannot reach production with text that
still describes the old one. Recording a review changes ``model_card.yaml``, which CODEOWNERS
sends to the owners.
"""

import re
from pathlib import Path

import yaml

from ..io import dataset
from ..io.card import SOURCE, human_parts
from ..io.files import shown, write_atomic
from . import policy

KEY = "reviewed_for"
BLOCK = re.compile(r"^# `make review` writes.*\Z|^reviewed_for:.*\Z", re.MULTILINE | re.DOTALL)
HEADER = """\
# `make review` writes what policy.yaml's goal and KPI and the text above were last read
# against; the governance gate fails when the data's source, target or columns differ.
"""


def current(root: Path) -> dict:
    """The data as the review sees it: source (without credentials), target, column kinds."""
    rules = policy(root)
    schema = dataset.load_schema(root, rules)
    return {
        "source": shown(rules.data.source),
        "target": rules.data.target,
        "columns": {column.name: column.kind for column in schema.columns},
    }


def problems(root: Path) -> list[str]:
    """Why the human-written text may be stale for today's data (empty when it is not)."""
    recorded = human_parts(root).get(KEY)
    now = current(root)
    again = "re-read policy.yaml's goal and KPI and model_card.yaml, then run `make review`"
    if not isinstance(recorded, dict):
        return [f"{SOURCE} was never reviewed for the data of {now['source']}: {again}"]
    changes = []
    for key in ("source", "target"):
        if recorded.get(key) != now[key]:
            changes.append(f"{key} {recorded.get(key)!r} became {now[key]!r}")
    before = recorded.get("columns") or {}
    added = [name for name in now["columns"] if name not in before]
    removed = [name for name in before if name not in now["columns"]]
    kinds = [n for n, kind in now["columns"].items() if n in before and before[n] != kind]
    for words, names in (("added", added), ("removed", removed), ("changed kind", kinds)):
        if names:
            changes.append(f"columns {words}: {', '.join(names)}")
    if changes:
        return [f"the data changed since the last review ({'; '.join(changes)}): {again}"]
    return []


def review(root: Path) -> str:
    """Write the review record at the end of ``model_card.yaml``; say what was recorded."""
    now = current(root)
    human_parts(root)  # a missing or broken card is one line, before anything is written
    path = root / SOURCE
    text = BLOCK.sub("", path.read_text(encoding="utf-8")).rstrip("\n") + "\n"
    block = yaml.safe_dump({KEY: now}, sort_keys=False, allow_unicode=True, width=100)
    write_atomic(path, text + "\n" + HEADER + block)
    return (
        f"recorded the review for {now['source']} ({len(now['columns'])} columns) in {SOURCE}: "
        "commit it; CODEOWNERS sends it to the owners"
    )
