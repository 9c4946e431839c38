"""The model card's files: the team's ``model_card.yaml`` and the rendered ``MODEL_CARD.md``."""

from pathlib import Path

from ..core import ProjectError
from ..core.card import SOURCE as SOURCE_NAME
from ..core.card import stated_lineage
from .files import read_yaml

SOURCE = Path(SOURCE_NAME)
CARD = Path("MODEL_CARD.md")


def human_parts(root: Path) -> dict:
    """The team's text, read from ``model_card.yaml``."""
    return read_yaml(root / SOURCE, SOURCE)


def card_lineage(root: Path) -> dict[str, str | None]:
    """The lineage table of the committed ``MODEL_CARD.md``."""
    if not (root / CARD).exists():
        raise ProjectError(f"{CARD}: not found (run `make card` and commit it)")
    return stated_lineage((root / CARD).read_text(encoding="utf-8"))
