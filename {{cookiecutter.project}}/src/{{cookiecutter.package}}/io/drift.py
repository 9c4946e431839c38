"""Evidently reports: a summary of the data (EDA, data quality) and drift from a reference.

Every report is told each column's kind from schema.yaml (numbers, categories, text, ids) and
carries the tests the project judges by: schema.yaml's ranges and gaps for each column, no
constant, duplicated or empty columns, and the policy's share of drifted columns, "at most".
"""

import json
from pathlib import Path

import pandas as pd

from ..core.schema import DatasetSchema
from .files import write_atomic

REPORTS = Path("reports/governance")
NUMBERS = ("number", "integer")
DATASET_UNTESTED = [
    "row_count",
    "column_count",
    "duplicated_row_count",
    "almost_duplicated_column_count",
    "almost_constant_column_count",
    "empty_row_count",
    "dataset_missing_value_count",
    "dataset_missing_value_share",
]


def definition(kinds: dict[str, str]):
    """Evidently's data definition of the columns in ``kinds`` (column name to schema kind)."""
    from evidently import DataDefinition

    ids = [name for name, kind in kinds.items() if kind == "id"]
    return DataDefinition(
        id_column=ids[0] if ids else None,
        unknown_columns=ids[1:] or None,
        numerical_columns=[name for name, kind in kinds.items() if kind in NUMBERS],
        categorical_columns=[name for name, kind in kinds.items() if kind == "category"],
        text_columns=[name for name, kind in kinds.items() if kind == "text"],
    )


def summary(schema: DatasetSchema, columns: list[str]) -> list:
    """Evidently's data summary of ``columns`` (its ``DataSummaryPreset``), tested by schema.yaml.

    Each column's missing values (none unless nullable), minimum and maximum (the schema's
    range); no constant, duplicated or empty columns. Evidently's own tests, which compare
    every figure with the reference's, are left out: they are not what the project judges.
    """
    from evidently.presets import TextEvals
    from evidently.presets.dataset_stats import DatasetStats, ValueStatsTests
    from evidently.tests import eq, gte, lte

    untested = ["row_count", "mean", "std", "q25", "q50", "q75", "unique_values_count"]
    tests = {
        column.name: ValueStatsTests(
            missing_values_count_tests=[] if column.nullable else [eq(0)],
            min_tests=[] if column.min is None else [gte(column.min)],
            max_tests=[] if column.max is None else [lte(column.max)],
            **{f"{name}_tests": [] for name in untested},
        )
        for column in schema.columns
        if column.name in columns and column.kind not in ("id", "text")
    }
    dataset = DatasetStats(
        **{f"{name}_tests": [] for name in DATASET_UNTESTED},
        duplicated_column_count_tests=[eq(0)],
        empty_column_count_tests=[eq(0)],
        constant_columns_count_tests=[eq(0)],
    )
    each = TextEvals([name for name in columns if name in tests], [], column_tests=tests)
    return [dataset, each]


def drift(max_share: float, columns: list[str] | None = None):
    """Evidently's drift preset with the policy's share: drift of at most ``max_share`` passes.

    Evidently's own share test is "less than"; the policy's limit is a maximum, so the test is
    replaced by "at most" and the report's threshold reads the policy's value.
    """
    from evidently.presets import DataDriftPreset
    from evidently.tests import lte

    class PolicyDrift(DataDriftPreset):
        def generate_metrics(self, context):
            share, *each = super().generate_metrics(context)
            return [share.copy(update={"share_tests": [lte(self.drift_share)]}), *each]

    return PolicyDrift(columns=columns, drift_share=max_share)


def _run(folder: Path, name: str, metrics: list, kinds: dict, current, reference) -> dict:
    """Run a report on ``current`` (and ``reference``); write ``name``.html and .json."""
    from evidently import Dataset, Report

    data = definition(kinds)
    snapshot = Report(metrics, include_tests=True).run(
        Dataset.from_pandas(current, data_definition=data),
        None if reference is None else Dataset.from_pandas(reference, data_definition=data),
    )
    folder.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(folder / f"{name}.html"))
    results = snapshot.dict()
    write_atomic(folder / f"{name}.json", json.dumps(results, indent=2, default=str))
    return results


def _kinds(schema: DatasetSchema, columns) -> dict[str, str]:
    return {column.name: column.kind for column in schema.columns if column.name in columns}


def data_report(
    root: Path,
    current: pd.DataFrame,
    reference: pd.DataFrame | None,
    schema: DatasetSchema,
    max_drift_share: float,
) -> dict:
    """Evidently's summary of ``current`` (beside ``reference``, with drift, when given).

    Writes ``reports/governance/data.html`` and ``.json``; returns the figures gated on: share
    of drifted columns (None without a reference), missing values, constant, duplicated and
    empty columns.
    """
    kinds = _kinds(schema, current.columns)
    metrics = summary(schema, list(current.columns))
    if reference is not None:
        metrics.append(drift(max_drift_share))
    results = _run(root / REPORTS, "data", metrics, kinds, current, reference)
    values = {item["metric_name"].split("(")[0]: item["value"] for item in results["metrics"]}
    share = values.get("DriftedColumnsCount")
    return {
        "drift_share": None if share is None else float(share["share"]),
        "drifted_columns": None if share is None else int(share["count"]),
        "missing_values": int(values["DatasetMissingValueCount"]["count"]),
        "constant_columns": int(values["ConstantColumnsCount"]),
        "duplicated_columns": int(values["DuplicatedColumnsCount"]),
        "empty_columns": int(values["EmptyColumnsCount"]),
    }


def eda_report(path: Path, frame: pd.DataFrame, schema: DatasetSchema) -> Path:
    """Evidently's summary of the whole table at ``path``: the target's first.

    How each column goes with the target leads (Cramér's V with the other categories for a
    category, correlations with the other numbers for a number; left out when there are none),
    then each column's distribution and figures, the target's first.
    """
    from evidently.metrics import ColumnCorrelations

    columns = [schema.target, *[name for name in frame.columns if name != schema.target]]
    kinds = _kinds(schema, columns)
    family = ["category"] if kinds[schema.target] == "category" else list(NUMBERS)
    peers = [name for name in columns[1:] if kinds.get(name) in family]
    metrics = [ColumnCorrelations(column_name=schema.target)] if peers else []
    _run(path.parent, path.stem, metrics + summary(schema, columns), kinds, frame[columns], None)
    return path


def drift_report(
    folder: Path,
    current: pd.DataFrame,
    reference: pd.DataFrame,
    categorical: list[str],
    max_drift_share: float,
) -> dict:
    """Evidently's drift of each column of ``current`` from ``reference``.

    Columns named in ``categorical`` are compared as categories, the others as numbers; the
    report's share test is the policy's ``max_drift_share``. Writes ``drift.html`` and
    ``drift.json`` in ``folder``; returns each column's score, method, threshold and whether it
    drifted.
    """
    columns = list(current.columns)
    kinds = {name: "category" if name in categorical else "number" for name in columns}
    results = _run(
        folder, "drift", [drift(max_drift_share, columns)], kinds, current, reference[columns]
    )
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
