"""What a user of a baked project looks at: quiet tasks, gate progress, MLflow's conventions,
pre-commit hooks that fix, and one line when Docker has no daemon."""

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import attempt, run
from tests.project import ENV, changed, package

MAKE = "make --no-print-directory"  # under `make test`, make would name its directories

pytestmark = pytest.mark.xdist_group("gates-a")  # with the other users of the trained project

# What the store holds for the recorded run, printed as JSON by the project's own Python.
STORE = """
import json, mlflow, pathlib
from mlflow import MlflowClient
record = json.loads(pathlib.Path("model/record.json").read_text())
model = record["model"]
mlflow.set_tracking_uri("sqlite:///mlflow.db")
client = MlflowClient()
run = client.get_run(model["run_id"])
version = client.get_model_version(model["name"], model["version"])
requirements = mlflow.artifacts.download_artifacts(
    artifact_uri=f"models:/{model['name']}/{model['version']}/requirements.txt"
)
print(json.dumps({
    "record": record,
    "name": run.info.run_name,
    "tags": run.data.tags,
    "inputs": [
        {"name": i.dataset.name, "digest": i.dataset.digest, "source": i.dataset.source,
         "profile": i.dataset.profile, "tags": {t.key: t.value for t in i.tags}}
        for i in run.inputs.dataset_inputs
    ],
    "artifacts": [a.path for a in client.list_artifacts(run.info.run_id, "onnx")],
    "description": version.description,
    "requirements": pathlib.Path(requirements).read_text().split(),
}))
"""


@pytest.fixture
def project(trained) -> Path:
    """The shared trained default project (its changes are undone by the tests)."""
    return trained("classification")


def test_train_is_quiet_and_export_is_logged_with_the_run(project):
    with changed(project):
        verbose = run(f"VERBOSE=1 {MAKE} train", cwd=project, env=ENV)
        again = run(f"{MAKE} train", cwd=project, env=ENV)
        run(f"{MAKE} evaluate export", cwd=project, env=ENV)
        (project.parent / "store.py").write_text(STORE)
        found = run("uv run --locked python ../store.py", cwd=project, env=ENV).stdout
    store = json.loads(found)
    assert "Created version '" in verbose.stderr  # MLflow's messages, when asked for
    printed = (again.stdout + again.stderr).strip().splitlines()
    # make's echo of the command, then the task's one line: no MLflow log, no registry chatter.
    assert len(printed) == 2, printed
    assert printed[1].startswith("trained run "), printed
    record = store["record"]
    assert store["tags"]["mlflow.source.git.commit"] == record["git_sha"]
    assert store["tags"]["git_sha"] == record["git_sha"]  # the lineage check reads it
    assert store["name"] == f"logisticregression-{record['git_sha'][:7]}"
    assert store["tags"]["mlflow.note.content"].startswith("LogisticRegression trained by")
    [data] = store["inputs"]
    assert data["name"] == "dataset.csv" and data["tags"]["mlflow.data.context"] == "training"
    assert data["digest"] == record["data_sha256"][:12]
    assert json.loads(data["profile"])["num_rows"] == sum(record["rows"].values())
    assert store["artifacts"] == ["onnx/model.onnx"]
    assert f"runs:/{record['model']['run_id']}/onnx/model.onnx" in store["description"]
    assert record["onnx"]["sha256"][:12] in store["description"]
    pinned = {line.split("==")[0] for line in store["requirements"]}
    assert {"scikit-learn", "numpy", "pandas", "skops"} <= pinned
    assert not pinned & {"pytest", "evidently", "locust", "black", "fairlearn", "skl2onnx"}
    assert len(pinned) <= 6, pinned  # MLflow adds its own pin, nothing else


def test_gates_show_each_gate_starting_and_ending_with_its_time(project):
    done = attempt(f"{MAKE} gates GATES=standards,onnx", project, ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    assert "[1/2] standards ..." in lines and "[2/2] onnx ..." in lines, lines
    assert any(line.startswith("[2/2] onnx passed in ") for line in lines), lines
    assert done.stdout.rstrip().splitlines()[-1].startswith("all 2 gates passed in ")


def test_eda_and_the_pull_request_comment_use_the_schema_and_the_reports_found(project):
    github = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r"}
    run(f"{MAKE} eda gate-onnx", cwd=project, env=ENV)
    run(f"{MAKE} comment", cwd=project, env={**ENV, **github, "GITHUB_RUN_ID": "9"})
    eda = json.loads((project / "reports" / "eda.json").read_text())
    # The target leads, numbers are numbers, and schema.yaml's ranges are the tests.
    assert eda["metrics"][0]["metric_name"].startswith(
        "ColumnCorrelationMatrix(column_name=released"
    )
    assert any(m["metric_name"] == "MinValue(column=age)" for m in eda["metrics"])
    assert {t["name"]: t["status"] for t in eda["tests"]}[
        "Minimal value of 'age': Greater or Equal 10.000"
    ] == "SUCCESS"
    text = (project / "reports" / "comment.md").read_text()
    assert "✅ onnx" in text and "#### ✅ onnx: passed" in text, text
    assert "[the run's artifacts](https://github.com/o/r/actions/runs/9#artifacts)" in text
    assert "```mermaid" in text and 'title "roc_auc by colour (holdout)"' in text  # the card's
    assert "`eda.html`" in text


def test_make_help_names_no_make_variable(project):
    shown = run(f"{MAKE} help", cwd=project).stdout
    assert "$(" not in shown and "$SERVICE_IMAGE" in shown


def test_pre_commit_passes_then_formats_and_trims(project):
    run("uv run --locked pre-commit run --all-files", cwd=project, env=ENV)
    module = package(project) / "core" / "metrics.py"
    readme = project / "README.md"
    with changed(project):
        module.write_text(module.read_text() + "\nx = {'a':1}\n")
        readme.write_text(readme.read_text() + "Trailing space here. \n")
        fixed = attempt("uv run --locked pre-commit run --all-files", project, ENV)
        formatted, trimmed = module.read_text(), readme.read_text()
    assert fixed.returncode == 1
    assert "files were modified by this hook" in fixed.stdout
    assert formatted.endswith('\nx = {"a": 1}\n')  # black formatted it
    assert trimmed.endswith("Trailing space here.\n")


def test_container_without_a_docker_daemon_is_one_line(project, tmp_path):
    # A docker client whose daemon is not running, as on a laptop with Docker stopped.
    fake = tmp_path / "docker"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'DEPRECATED: The legacy builder is deprecated and will be removed.' >&2\n"
        "echo '            Install the buildx component to build images with BuildKit:' >&2\n"
        "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
        "Is the docker daemon running?' >&2\n"
        "exit 1\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    path = f"{tmp_path}{os.pathsep}{os.environ['PATH']}"
    done = attempt(
        f"{MAKE} gate-load", project, {**ENV, "SERVICE_TARGET": "container", "PATH": path}
    )
    report = json.loads((project / "reports" / "gates" / "load.json").read_text())
    assert done.returncode != 0 and not report["passed"]
    assert "no Docker daemon answers here" in report["reason"], report["reason"]
    assert "DEPRECATED" not in report["reason"]
