"""Every supported combination on a non-default Python: clean environment, then its tasks.

The default-Python combinations run the same tasks, and all the gates, in test_gates.py.
"""

import json

import pytest

from tests.conftest import git_init, interpreter, run
from tests.matrix import DEFAULT_PYTHON, SUPPORTED, label

# Sanity floors well above chance on the default data (the policy's thresholds are stricter).
SANE = {"classification": ("roc_auc", 0.65), "regression": ("r2", 0.35)}


def check_record(project, options) -> None:
    """The record names the Python, task and version, and holds sane metrics."""
    record = json.loads((project / "model" / "record.json").read_text())
    assert record["python"].startswith(options["python_version"])
    assert record["task"] == options["task"] and record["model"]["version"] == "1"
    metric, floor = SANE[options["task"]]
    assert record["metrics"][metric] > floor, record["metrics"]
    assert len(record["git_sha"]) == 40 and not record["git_dirty"]
    assert (project / "mlflow.db").exists()


@pytest.mark.parametrize(
    "options", [o for o in SUPPORTED if o["python_version"] != DEFAULT_PYTHON], ids=label
)
def test_baked_project_sets_up_tests_trains_and_evaluates(bake, options):
    project = bake(**options)
    git_init(project)
    env = {"UV_PYTHON": interpreter(options["python_version"]), "VIRTUAL_ENV": ""}
    # black and flake8 run over every bake in test_bake; hadolint with the default Python.
    run("make setup test data train evaluate", cwd=project, env=env)
    check_record(project, options)
