"""``make monitor``: the predictions served in production, judged against the champion.

Reads the traffic (``io/traffic.py``: the prediction log or a table, labels joined by id) of the
policy's window, served by the registry's champion, and judges it by the policy's
``monitoring`` section: drift of the inputs and of the prediction from the champion's training
data (evidently), and the KPI on labelled predictions. Writes ``reports/monitoring/``
(``drift.html`` and ``.json``, ``monitoring.json``, ``summary.md``) and appends the figures to
the champion's monitoring run in MLflow, where they show as history.
"""

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import ProjectError
from ..core.gates import GateResult, Table
from ..core.metrics import outputs
from ..core.monitoring import (
    judge_drift,
    judge_kpi,
    kpi_value,
    verdict,
)
from ..core.policy import Policy
from ..io import dataset, registry, traffic
from ..io.drift import drift_report
from ..io.files import shown, write_atomic, write_json
from ..io.traffic import (
    ID,
    PREDICTED,
    PREDICTION,
    PROBABILITY,
    TIME,
    TRUTH,
    VERSION,
)
from . import policy

REPORTS = Path("reports/monitoring")


def monitor(root: Path) -> GateResult:
    """Judge the recent traffic; the result's ``passed`` is False on a breach."""
    shutil.rmtree(root / REPORTS, ignore_errors=True)  # no stale verdict survives a failed run
    rules = policy(root)
    schema = dataset.load_schema(root, rules)
    inputs, labels = traffic.sources(root)
    champion = registry.champion()
    if champion is None:
        raise ProjectError(
            f"the registry at {shown(registry.tracking_uri())} has no champion: nothing is in "
            "production to monitor (`make release` or `make promote` sets one)"
        )
    model = registry.load_model(champion["uri"])
    # The champion's inputs, which may differ from what the policy now says.
    names = getattr(model, "feature_names_in_", None)
    features = _policy_inputs(rules, schema) if names is None else [str(name) for name in names]
    frame, left_out = recent(traffic.read_traffic(inputs, schema), rules, champion)
    frame = traffic.checked(frame, schema, features, inputs)
    if labels:
        if ID not in frame:
            raise ProjectError(
                f"{shown(inputs)}: no 'id' column to join the labels of {shown(labels)} by"
            )
        truth = frame[ID].map(traffic.read_labels(labels, schema))
        frame[TRUTH] = frame[TRUTH].fillna(truth) if TRUTH in frame else truth
    with tempfile.TemporaryDirectory() as scratch:
        path = registry.training_data(champion["run_id"], Path(scratch))
        reference = pd.read_csv(path, dtype=schema.read_dtypes())
    if PREDICTION not in frame:  # a table: what the champion predicts for it
        frame = frame.assign(**_served(model, frame[features], schema))
    reference = reference.assign(**_served(model, reference[features], schema))

    columns = [name for name in features if name in reference.columns] + [PREDICTION]
    categorical = [c.name for c in schema.columns if c.kind == "category"]
    categorical += [PREDICTION] if rules.task == "multiclass" else []
    drift = drift_report(
        root / REPORTS,
        frame[columns],
        reference[columns],
        categorical,
        rules.monitoring.max_drift_share,
    )
    drifted = [name for name, found in drift.items() if found["drifted"]]
    labelled = frame.dropna(subset=[TRUTH]) if TRUTH in frame else frame.iloc[:0]
    kpi = None
    if len(labelled):
        scores: np.ndarray | None = None
        if rules.task == "classification":
            scores = labelled[PREDICTION].to_numpy()
        elif rules.task == "multiclass":
            scores = labelled[[PROBABILITY + name for name in schema.classes]].to_numpy()
        kpi = kpi_value(rules, labelled[TRUTH].to_numpy(), labelled[PREDICTED].to_numpy(), scores)
    checks = [
        judge_drift(drifted, columns, len(frame), rules),
        judge_kpi(kpi, len(labelled), rules),
    ]
    figures = {
        "champion": champion,
        "inputs": shown(inputs),
        "labels": labels and shown(labels),
        "rows": len(frame),
        "left_out": left_out,
        "labelled_rows": len(labelled),
        "drift_share": len(drifted) / len(columns),
        "drifted_columns": drifted,
        "drift": drift,
        f"kpi_{rules.kpi.metric}": kpi,
    }
    result = verdict(checks, figures)
    _write(root, result, rules)
    metrics = {
        "rows": len(frame),
        "labelled_rows": len(labelled),
        "drift_share": figures["drift_share"],
        "breached": float(not result.passed),
        **{f"drift_{name}": found["score"] for name, found in drift.items()},
    }
    if kpi is not None:
        metrics[f"kpi_{rules.kpi.metric}"] = kpi
    registry.log_monitoring(champion["version"], metrics, {"inputs": shown(inputs)})
    return result


def _policy_inputs(rules: Policy, schema) -> list[str]:
    return [c.name for c in schema.features(exclude=rules.data.excluded_features)]


def recent(frame: pd.DataFrame, rules: Policy, champion: dict) -> tuple[pd.DataFrame, int]:
    """The rows of the policy's window served by the champion, and how many were left out.

    A table without times or versions is taken whole.
    """
    keep = pd.Series(True, index=frame.index)
    if TIME in frame:
        keep &= frame[TIME] >= time.time() - rules.monitoring.window_hours * 3600
    if VERSION in frame:
        keep &= frame[VERSION] == champion["version"]
    if not keep.any():
        seen = ", ".join(sorted(frame[VERSION].unique())) if VERSION in frame else "none"
        raise ProjectError(
            f"no predictions of champion version {champion['version']} in the last "
            f"{rules.monitoring.window_hours:g} h (versions in the traffic: {seen})"
        )
    return frame[keep].reset_index(drop=True), int((~keep).sum())


def _served(model, x: pd.DataFrame, schema) -> dict:
    """What the service answers for ``x``, as traffic columns (see ``io/traffic.py``)."""
    predicted, scores = outputs(model, x, schema.task)
    if schema.task == "regression":
        return {PREDICTED: predicted, PREDICTION: predicted}
    if schema.task == "classification":
        return {PREDICTED: predicted, PREDICTION: scores}
    assert scores is not None  # a classifier's probabilities
    names = [schema.classes[index] for index in predicted]
    columns = {PROBABILITY + name: scores[:, i] for i, name in enumerate(schema.classes)}
    return {PREDICTED: predicted, PREDICTION: names, **columns}


def _write(root: Path, result: GateResult, rules: Policy) -> None:
    """``monitoring.json`` and ``summary.md`` (the job summary and the issue's body)."""
    folder = root / REPORTS
    write_json(folder / "monitoring.json", result.to_json())
    figures = result.figures
    champion = figures["champion"]
    drift = Table(
        ["column", "method", "score", "threshold", "drifted"],
        [
            [name, found["method"], found["score"], found["threshold"], _yes(found["drifted"])]
            for name, found in figures["drift"].items()
        ],
    )
    lines = [
        f"Champion: version {champion['version']} (run {champion['run_id']}).",
        f"Traffic: {figures['rows']} predictions from `{figures['inputs']}` of the last "
        f"{rules.monitoring.window_hours:g} h ({figures['left_out']} older or of other "
        "versions left out).",
        f"Labels: {figures['labelled_rows']} predictions labelled"
        + (f" from `{figures['labels']}`." if figures["labels"] else " (no labels given)."),
        "",
        result.markdown(),
        "Drift from the champion's training data (evidently; `reports/monitoring/drift.html`):",
        "",
        drift.markdown(),
    ]
    write_atomic(folder / "summary.md", "\n".join(lines) + "\n")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
