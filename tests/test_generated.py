"""Every supported combination on a non-default Python: clean environment, then its tasks.

Pairwise, to keep the suite short: on each non-default Python one task runs the project's unit
tests and the other its pipeline (data, train, evaluate), and the next Python swaps them, so
each task gets both on some non-default Python. The default-Python combinations run the unit
tests, the pipeline and all the gates in test_gates.py.
"""

import json

import pytest

from tests.conftest import git_init, interpreter, run
from tests.matrix import DEFAULT_PYTHON, PROMPTS, SUPPORTED, label

# Sanity floors well above chance on the default data (the policy's thresholds are stricter).
SANE = {
    "classification": ("roc_auc", 0.65),
    "multiclass": ("balanced_accuracy", 0.8),
    "regression": ("r2", 0.35),
}


def check_record(project, options) -> None:
    """The record names the Python, task and version, and holds sane metrics."""
    record = json.loads((project / "model" / "record.json").read_text())
    assert record["python"].startswith(options["python_version"])
    assert record["task"] == options["task"] and record["model"]["version"] == "1"
    metric, floor = SANE[options["task"]]
    assert record["metrics"][metric] > floor, record["metrics"]
    assert len(record["git_sha"]) == 40 and not record["git_dirty"]
    assert (project / "mlflow.db").exists()


# Three runs on the non-default Pythons, one per task: the unit tests of one bake, the pipeline
# of the others (on the default Python every task runs both, in test_gates and test_own_data).
TESTS, PIPELINE = "make setup test", "make setup data train evaluate"
RUNS = [
    ("classification", "3.12", TESTS),
    ("multiclass", "3.13", PIPELINE),
    ("regression", "3.12", PIPELINE),
]
OTHERS = [
    {**options, "command": command}
    for task, python, command in RUNS
    for options in SUPPORTED
    if (options["task"], options["python_version"]) == (task, python)
]


def test_the_runs_cover_every_task_every_python_and_both_kinds():
    assert (
        sorted(o["task"] for o in OTHERS) == sorted(PROMPTS["task"]) == sorted(o[0] for o in RUNS)
    )
    assert {o["python_version"] for o in OTHERS} == set(PROMPTS["python_version"]) - {
        DEFAULT_PYTHON
    }
    assert {o["command"] for o in OTHERS} == {TESTS, PIPELINE}


@pytest.mark.parametrize("options", OTHERS, ids=label)
def test_baked_project_sets_up_and_runs_its_tests_or_its_pipeline(bake, options):
    answers = {key: value for key, value in options.items() if key != "command"}
    project = bake(**answers)
    git_init(project)
    env = {"UV_PYTHON": interpreter(options["python_version"]), "VIRTUAL_ENV": ""}
    # black and flake8 run over every bake in test_bake; hadolint with the default Python.
    run(options["command"], cwd=project, env=env)
    if options["command"] == PIPELINE:
        check_record(project, answers)
