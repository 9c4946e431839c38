"""Data quality and drift with evidently: an HTML and a JSON report, and the figures gated on."""

import json
from pathlib import Path

import pandas as pd

from {{ cookiecutter.package }}.io.files import write_atomic

REPORTS = Path("reports/governance")


def data_report(root: Path, current: pd.DataFrame, reference: pd.DataFrame | None) -> dict:
    """Run evidently on ``current`` (against ``reference`` when given) and return the figures.

    Figures: share of drifted columns (None without a reference), missing values, constant,
    duplicated and empty columns.
    """
    from evidently import Report
    from evidently.metrics import (
        ConstantColumnsCount,
        DatasetMissingValueCount,
        DriftedColumnsCount,
        DuplicatedColumnsCount,
        EmptyColumnsCount,
    )

    quality = [
        DatasetMissingValueCount(),
        ConstantColumnsCount(),
        DuplicatedColumnsCount(),
        EmptyColumnsCount(),
    ]
    metrics = quality if reference is None else [DriftedColumnsCount(), *quality]
    snapshot = Report(metrics, include_tests=True).run(current, reference)
    folder = root / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(folder / "data.html"))
    results = snapshot.dict()
    write_atomic(folder / "data.json", json.dumps(results, indent=2, default=str))
    values = {item["metric_name"].split("(")[0]: item["value"] for item in results["metrics"]}
    drift = values.get("DriftedColumnsCount")
    return {
        "drift_share": None if drift is None else float(drift["share"]),
        "drifted_columns": None if drift is None else int(drift["count"]),
        "missing_values": int(values["DatasetMissingValueCount"]["count"]),
        "constant_columns": int(values["ConstantColumnsCount"]),
        "duplicated_columns": int(values["DuplicatedColumnsCount"]),
        "empty_columns": int(values["EmptyColumnsCount"]),
    }
