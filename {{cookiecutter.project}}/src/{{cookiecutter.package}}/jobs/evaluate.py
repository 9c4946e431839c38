"""``make evaluate``: holdout metrics of the recorded model, into the record and MLflow."""

from pathlib import Path
from typing import Any

import pandas as pd

from ..core.metrics import outputs, score_all
from ..io import registry
from ..io.record import write_record
from . import holdout


def score_model(model: Any, x: pd.DataFrame, y: pd.Series, task: str) -> dict[str, float]:
    """Every metric of ``task`` for ``model`` on ``x``, ``y``."""
    return score_all(task, y.to_numpy(), *outputs(model, x, task))


def evaluate(root: Path) -> dict[str, float]:
    """Score the model named in the record on the holdout and store the metrics."""
    data = holdout(root)
    metrics = score_model(data.candidate(), data.x, data.y, data.rules.task)
    registry.log_metrics(data.record.model.run_id, metrics)
    write_record(root, data.record.model_copy(update={"metrics": metrics}))
    return metrics
