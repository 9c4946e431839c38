"""``make promote``: move the registry's ``champion`` alias to the recorded model version."""

from pathlib import Path

from ..io import registry
from ..io.record import read_record


def promote(root: Path) -> str:
    """Promote the record's version; returns a sentence saying what moved."""
    model = read_record(root).model
    previous = registry.promote(model.version, model.run_id)
    before = f"version {previous['version']}" if previous else "no champion"
    return f"champion of {model.name}: {before} -> version {model.version}"
