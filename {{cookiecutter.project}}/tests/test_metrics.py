import numpy as np
import pytest

from {{ cookiecutter.package }} import core


def test_each_task_has_its_metrics():
    shared = {"accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "log_loss"}
    assert set(core.metrics.metrics_for("classification")) == shared | {
        "f1",
        "precision",
        "recall",
        "roc_auc",
        "pr_auc",
    }
    assert set(core.metrics.metrics_for("multiclass")) == shared | {"roc_auc_ovr"}
    assert set(core.metrics.metrics_for("regression")) == {"mse", "mae", "rmsle", "r2"}


def test_direction_decides_what_better_means():
    assert core.metrics.is_better_or_equal(
        "roc_auc", 0.8, 0.7
    ) and not core.metrics.is_better_or_equal("roc_auc", 0.6, 0.7)
    assert core.metrics.is_better_or_equal("mse", 10, 20) and not core.metrics.is_better_or_equal(
        "mse", 30, 20
    )


def test_classification_scores_on_a_perfect_ranking():
    y = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.8, 0.9])
    result = core.metrics.score_all("classification", y, (scores > 0.5).astype(int), scores)
    assert result["accuracy"] == result["f1"] == result["roc_auc"] == 1.0
    assert result["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.8, 0.9])))


def test_regression_scores_and_negative_predictions_in_rmsle():
    y = np.array([1.0, 2.0, 3.0])
    result = core.metrics.score_all("regression", y, np.array([1.0, 2.0, 5.0]))
    assert result["mse"] == pytest.approx(4 / 3)
    assert result["mae"] == pytest.approx(2 / 3)
    clipped = core.metrics.score_all("regression", y, np.array([-1.0, 2.0, 3.0]))["rmsle"]
    assert clipped == pytest.approx(np.sqrt(np.log(2) ** 2 / 3))


def test_every_metric_belongs_to_a_task():
    tasks = {task for m in core.metrics.METRICS.values() for task in m.tasks}
    assert tasks == {"classification", "multiclass", "regression"}


def test_multiclass_scores_take_one_probability_per_class():
    y = np.array([0, 1, 2, 2])
    scores = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    result = core.metrics.score_all("multiclass", y, scores.argmax(axis=1), scores)
    assert result["accuracy"] == result["balanced_accuracy"] == result["roc_auc_ovr"] == 1.0
    assert result["log_loss"] == pytest.approx(-np.mean(np.log([0.8, 0.7, 0.8, 0.4])))
    assert core.metrics.defined("multiclass", y[:2], classes=3) is False
