"""``make eda``: an evidently summary of the dataset, as HTML under ``reports/``."""

from pathlib import Path

from ..io.data import load_dataset
from . import policy

REPORT = Path("reports/eda.html")


def eda(root: Path) -> Path:
    """Write the data summary report and return its path."""
    from evidently import Report
    from evidently.presets import DataSummaryPreset

    frame, _ = load_dataset(root, policy(root))
    snapshot = Report([DataSummaryPreset()]).run(current_data=frame)
    (root / REPORT).parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(root / REPORT))
    return root / REPORT
