"""``make eda``: an evidently summary of the dataset, as HTML under ``reports/``."""

from pathlib import Path

from ..io import dataset
from ..io.data import load_dataset
from ..io.drift import eda_report
from . import policy

REPORT = Path("reports/eda.html")


def eda(root: Path) -> Path:
    """Write the data summary report (and its JSON beside it); return its path."""
    rules = policy(root)
    frame, _ = load_dataset(root, rules)
    return eda_report(root / REPORT, frame, dataset.load_schema(root, rules))
