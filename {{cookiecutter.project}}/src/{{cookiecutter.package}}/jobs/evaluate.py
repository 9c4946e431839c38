"""``make evaluate``: holdout metrics of the recorded model, into the record and MLflow."""

from pathlib import Path

import pandas as pd

from {{ cookiecutter.package }}.core.metrics import score_all
from {{ cookiecutter.package }}.core.policy import Policy
from {{ cookiecutter.package }}.io import dataset, registry
from {{ cookiecutter.package }}.io.data import load_dataset, split
from {{ cookiecutter.package }}.io.record import read_record, write_record
from {{ cookiecutter.package }}.jobs import policy


def score_model(model, x: pd.DataFrame, y: pd.Series, rules: Policy) -> dict[str, float]:
    """Every metric of the policy's task for ``model`` on ``x``, ``y``."""
    scores = model.predict_proba(x)[:, 1] if rules.task == "classification" else None
    return score_all(rules.task, y.to_numpy(), model.predict(x), scores)


def evaluate(root: Path) -> dict[str, float]:
    """Score the model named in the record on the holdout and store the metrics."""
    rules = policy(root)
    record = read_record(root)
    frame, _ = load_dataset(root)
    parts = split(frame, dataset.SCHEMA, rules)
    model = registry.load_model(f"runs:/{record['model']['run_id']}/model")
    metrics = score_model(model, parts.x_holdout, parts.y_holdout, rules)
    registry.log_metrics(record["model"]["run_id"], metrics)
    write_record(root, {**record, "metrics": metrics})
    return metrics
