"""Bake every supported combination, build its clean environment from the lock, run its tasks."""

import json

import pytest

from tests.conftest import git_init, interpreter, run
from tests.matrix import SUPPORTED, label

# Sanity floors well above chance on the default data (the policy's thresholds are stricter).
SANE = {"classification": ("roc_auc", 0.65), "regression": ("r2", 0.35)}


@pytest.mark.parametrize("options", SUPPORTED, ids=label)
def test_baked_project_sets_up_lints_tests_trains_and_evaluates(bake, options):
    project = bake(**options)
    git_init(project)
    env = {"UV_PYTHON": interpreter(options["python_version"]), "VIRTUAL_ENV": ""}
    run("make setup lint test data train evaluate", cwd=project, env=env)

    record = json.loads((project / "model" / "record.json").read_text())
    assert record["python"].startswith(options["python_version"])
    assert record["task"] == options["task"] and record["model"]["version"] == "1"
    metric, floor = SANE[options["task"]]
    assert record["metrics"][metric] > floor, record["metrics"]
    assert len(record["git_sha"]) == 40 and not record["git_dirty"]
    assert (project / "mlflow.db").exists()
