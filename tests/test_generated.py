"""Every supported combination on a non-default Python: clean environment, then its tasks.

Pairwise, to keep the suite short: on each non-default Python one task runs the project's unit
tests and the other its pipeline (data, train, evaluate), and the next Python swaps them, so
each task gets both on some non-default Python. The default-Python combinations run the unit
tests, the pipeline and all the gates in test_gates.py.
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


OTHERS = [o for o in SUPPORTED if o["python_version"] != DEFAULT_PYTHON]
PYTHONS = sorted({o["python_version"] for o in OTHERS})
TASKS = sorted({o["task"] for o in OTHERS})


def runs_unit_tests(options: dict) -> bool:
    """True for one task per Python, the other task on the next Python."""
    position = PYTHONS.index(options["python_version"]) + TASKS.index(options["task"])
    return position % 2 == 0


def test_the_pairing_gives_each_task_both_runs():
    for task in TASKS:
        runs = {runs_unit_tests(o) for o in OTHERS if o["task"] == task}
        assert runs == {True, False}, task


@pytest.mark.parametrize("options", OTHERS, ids=label)
def test_baked_project_sets_up_and_runs_its_tests_or_its_pipeline(bake, options):
    project = bake(**options)
    git_init(project)
    env = {"UV_PYTHON": interpreter(options["python_version"]), "VIRTUAL_ENV": ""}
    # black and flake8 run over every bake in test_bake; hadolint with the default Python.
    if runs_unit_tests(options):
        run("make setup test", cwd=project, env=env)
    else:
        run("make setup data train evaluate", cwd=project, env=env)
        check_record(project, options)
