"""The generated pull-request workflow run by act: green untouched, red on a bad change."""

import json
import re

import pytest

from tests.act import act, matrix_tasks, summaries
from tests.project import GATES, changed, edit, package


@pytest.mark.xdist_group("gates-a")
class TestWorkflow:
    def test_pull_request_workflow_runs_every_gate_green(self, trained, tmp_path):
        project = trained("classification")
        tasks = matrix_tasks(project)
        # act starts every matrix leg at once on two cores; the load leg runs on its own after
        # the others, as on GitHub where each leg has a machine to itself.
        others = [
            option for gate in tasks if gate != "load" for option in ("--matrix", f"gate:{gate}")
        ]
        logs = []
        for number, legs in enumerate([others, ["--matrix", "gate:load"]]):
            code, log = act(project, tmp_path / str(number), *legs)
            assert code == 0, log[-4000:]
            assert "Success - Main Every gate passed" in log
            logs.append(log)
        log = "\n".join(logs)
        for task in tasks.values():
            assert f"Success - Main make {task}" in log, f"make {task} did not succeed"
        legs = "\n".join(text for job, text in summaries(log) if job != "comment")
        comments = "\n".join(
            (tmp_path / str(n) / "artifacts" / "comment.md").read_text() for n in (0, 1)
        )
        for name in GATES:
            (found,) = tmp_path.glob(f"*/artifacts/reports-*/gates/{name}.json")
            assert json.loads(found.read_text())["passed"], name
            assert f"### ✅ {name}: passed" in legs, f"no job summary for {name}"
            assert f"### ✅ {name}: passed" in comments, f"{name} missing from the comment"
        assert comments.startswith("<!-- gates-report -->")

    def test_a_flake8_violation_fails_standards_and_gates_passed(self, trained, tmp_path):
        project = trained("classification")
        with changed(project):
            target = package(project) / "core" / "metrics.py"
            edit(target, "import numpy as np\n", "import os\nimport numpy as np\n")
            code, log = act(project, tmp_path, "--matrix", "gate:standards")
        assert code != 0
        assert "Failure - Main make gate-standards" in log
        assert re.search(r"core/metrics\.py:\d+:\d+: F401 'os' imported but unused", log)
        assert ("standards", "### ❌ standards: FAILED") in [
            (job, text.splitlines()[0]) for job, text in summaries(log)
        ]
        assert "Failure - Main Every gate passed" in log
