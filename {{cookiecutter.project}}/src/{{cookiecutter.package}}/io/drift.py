"""Data quality and drift with evidently: an HTML and a JSON report, and the figures gated on."""

import json
from pathlib import Path

import pandas as pd

from .files import write_atomic

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


def drift_report(
    folder: Path, current: pd.DataFrame, reference: pd.DataFrame, categorical: list[str]
) -> dict:
    """Evidently's drift of each column of ``current`` from ``reference``.

    Columns named in ``categorical`` are compared as categories, the others as numbers.
    Writes ``drift.html`` and ``drift.json`` in ``folder``; returns each column's score,
    method, threshold and whether it drifted.
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    columns = list(current.columns)
    definition = DataDefinition(
        numerical_columns=[name for name in columns if name not in categorical],
        categorical_columns=[name for name in columns if name in categorical],
    )
    snapshot = Report([DataDriftPreset(columns=columns)], include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference[columns], data_definition=definition),
    )
    folder.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(folder / "drift.html"))
    results = snapshot.dict()
    write_atomic(folder / "drift.json", json.dumps(results, indent=2, default=str))
    found = {}
    for metric in results["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            found[config["column"]] = {
                "score": float(metric["value"]),
                "method": config["method"],
                "threshold": config["threshold"],
                "drifted": False,
            }
    for test in results["tests"]:
        column = test["metric_config"]["params"].get("column")
        if column in found:
            found[column]["drifted"] = test["status"] == "FAIL"
    return found
