"""What the model card needs from people, and the lineage it states: judged without I/O."""

import re

SOURCE = "model_card.yaml"
PARTS = {
    "owner": "Owner",
    "intended_use": "Intended use",
    "out_of_scope": "Out of scope",
    "limitations": "Limitations",
    "ethical_considerations": "Ethical considerations",
}
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX)\b|<[^<>@]*>")
LINEAGE = ("run_id", "model_version", "git_sha", "data_sha256", "lock_sha256")
LINEAGE_ROW = re.compile(r"^\| `(\w+)` \| `([^`]*)` \|$", flags=re.MULTILINE)


def unfinished(parts: dict[str, object]) -> list[str]:
    """Required parts of ``model_card.yaml`` that are missing, empty or still a placeholder."""
    found = []
    for key in PARTS:
        text = str(parts.get(key) or "").strip()
        if not text:
            found.append(f"{SOURCE}: '{key}' is empty")
        elif PLACEHOLDER.search(text):
            found.append(f"{SOURCE}: '{key}' still holds a placeholder")
    return found


def stated_lineage(card: str) -> dict[str, str | None]:
    """The lineage table of a rendered card (a value it does not state is None)."""
    rows = dict(LINEAGE_ROW.findall(card))
    return {key: rows.get(key) for key in LINEAGE}


def lineage_rows(lineage: dict[str, str]) -> list[list[str]]:
    """The card's lineage table rows, in the form ``stated_lineage`` reads back."""
    return [[f"`{key}`", f"`{value}`"] for key, value in lineage.items()]
