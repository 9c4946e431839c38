"""The gates of a baked project: green untouched, red with a readable reason on a bad change.

One trained project per task; every bad change is undone with git afterwards.
"""

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import attempt, git_init, interpreter, run
from tests.matrix import DEFAULT_PYTHON, ROOT, SUPPORTED
from tests.test_generated import check_record

GATES = ["standards", "reproduce", "accuracy", "explain", "governance", "onnx", "load"]


# The supported combinations on the default Python: their projects run every task and gate.
DEFAULTS = {o["task"]: o for o in SUPPORTED if o["python_version"] == DEFAULT_PYTHON}
ENV = {"UV_PYTHON": interpreter(DEFAULT_PYTHON), "VIRTUAL_ENV": ""}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Baked projects by task: set up, trained, evaluated, exported, carded, committed."""
    from cookiecutter.main import cookiecutter

    projects = {}

    def get(task: str) -> Path:
        if task not in projects:
            output = tmp_path_factory.mktemp(task)
            options = DEFAULTS[task]
            project = Path(
                cookiecutter(str(ROOT), no_input=True, output_dir=output, extra_context=options)
            )
            git_init(project)
            # Lint runs in TestStandards, the unit tests in the workflow's tests job (TestWorkflow).
            run("make setup data train evaluate export card", cwd=project, env=ENV)
            check_record(project, options)
            run("git add -A && git -c user.name=T -c user.email=t@e.st commit -qm Train", project)
            projects[task] = project
        return projects[task]

    return get


def gate(project: Path, name: str, env: dict = ENV) -> dict:
    """Run ``make gate-<name>`` and return its report; exit code and verdict must agree."""
    done = attempt(f"make gate-{name}", project, env)
    report = json.loads((project / "reports" / "gates" / f"{name}.json").read_text())
    assert report["gate"] == name
    assert (done.returncode == 0) == report["passed"], done.stderr[-2000:]
    assert (project / "reports" / "gates" / f"{name}.md").read_text().startswith("### ")
    return report


def reset(project: Path) -> None:
    """Undo a bad change: tracked files back to the commit, new files removed."""
    run("git checkout -q -- . && git clean -fdq", cwd=project)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def package(project: Path) -> Path:
    return next((project / "src").iterdir())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def background(command: str, project: Path, env: dict, url: str, log: Path) -> Iterator[None]:
    """A server started by ``command`` in its own process group, until ``url`` answers; its
    output goes to ``log``. Stopped with SIGTERM, so it shuts down as it would in production."""
    with log.open("w") as output:
        server = subprocess.Popen(
            command,
            shell=True,
            cwd=project,
            env={**os.environ, **ENV, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                assert server.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, f"{command} did not answer in 180 s"
                try:
                    with urllib.request.urlopen(url, timeout=2):
                        break
                except OSError:
                    time.sleep(0.5)
            yield
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


@contextlib.contextmanager
def tracking_server(project: Path, tmp: Path) -> Iterator[str]:
    """A real ``mlflow server`` on loopback (SQLite store, served artifacts); yields its URI."""
    port = free_port()
    command = (
        f"uv run --locked mlflow server --host 127.0.0.1 --port {port} --workers 1"
        f" --backend-store-uri sqlite:///{tmp}/server.db --artifacts-destination {tmp}/artifacts"
    )
    uri = f"http://127.0.0.1:{port}"
    with background(command, project, {}, f"{uri}/health", tmp / "server.log"):
        yield uri


# Classification's untouched gates run through the pull-request workflow (TestWorkflow);
# regression's run here, against a shared tracking server.
@pytest.mark.xdist_group("shared-server")
def test_two_clones_share_one_tracking_server_and_its_champion(tmp_path):
    """Every gate is green on an untouched bake tracked on a real server; a second clone's
    accuracy gate compares with the champion the first promoted; a server down is one line."""
    from cookiecutter.main import cookiecutter

    options = DEFAULTS["regression"]
    first = Path(cookiecutter(str(ROOT), no_input=True, output_dir=tmp_path, extra_context=options))
    git_init(first)
    run("make setup data", cwd=first, env=ENV)
    commit = "git add -A && git -c user.name=T -c user.email=t@e.st commit -qm Train"
    with tracking_server(first, tmp_path) as uri:
        shared = {**ENV, "MLFLOW_TRACKING_URI": uri}
        run(f"make candidate && {commit}", cwd=first, env=shared)
        done = run("make gates", cwd=first, env=shared)
        run("make promote", cwd=first, env=shared)

        second = tmp_path / "second"
        run(f"git clone -q {first} {second}", cwd=tmp_path)
        run(f"make setup train && {commit}", cwd=second, env=shared)
        accuracy = gate(second, "accuracy", shared)

    assert re.search(r"^gate\s+verdict\s+reason$", done.stdout, flags=re.MULTILINE)
    for name in GATES:
        assert re.search(rf"^{name}\s+pass\s+", done.stdout, flags=re.MULTILINE)
        report = json.loads((first / "reports" / "gates" / f"{name}.json").read_text())
        assert report["passed"] and report["reason"]
    assert "all 7 gates passed" in done.stdout
    versions = [
        json.loads((p / "model/record.json").read_text())["model"]["version"]
        for p in (first, second)
    ]
    assert versions == ["1", "2"]
    assert accuracy["passed"] and accuracy["figures"]["champion"]["version"] == "1"
    assert "no metric worse than champion version 1" in accuracy["reason"]
    assert not (first / "mlflow.db").exists() and not (second / "mlflow.db").exists()

    # The server is gone: one line naming it, and the record is left as it was.
    # (No retries: the message is the same after MLflow's default two, 15 s later.)
    down = attempt("make train", second, {**shared, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"})
    assert down.returncode == 2
    assert f"error: MLflow at {uri} cannot be reached: Connection refused" in down.stderr
    assert "Traceback" not in down.stderr
    assert not run("git status --porcelain model", cwd=second).stdout


@pytest.mark.xdist_group("gates-a")
class TestStandards:
    def test_untouched_project_lints_clean(self, trained):
        """black, flake8 and hadolint (the Dockerfile), as `make lint` runs them."""
        run("make lint", cwd=trained("classification"), env=ENV)

    def test_flake8_violation_is_named_by_file_and_line(self, trained):
        project = trained("classification")
        target = package(project) / "core" / "metrics.py"
        edit(target, "import numpy as np\n", "import os\nimport numpy as np\n")
        report = gate(project, "standards")
        reset(project)
        assert not report["passed"]
        assert re.search(
            r"core/metrics\.py:\d+:\d+: F401 'os' imported but unused", report["reason"]
        )

    def test_unformatted_code_fails(self, trained):
        project = trained("classification")
        target = package(project) / "io" / "files.py"
        edit(target, "    digest = hashlib.sha256()", "    digest = hashlib.sha256(  )")
        report = gate(project, "standards")
        reset(project)
        assert not report["passed"] and "io/files.py is not black-formatted" in report["reason"]

    def test_public_function_without_docstring_fails(self, trained):
        project = trained("classification")
        target = package(project) / "core" / "features.py"
        docstring = re.search(r'\n    """Scale numeric columns.*"""', target.read_text()).group()
        edit(target, docstring, "")
        report = gate(project, "standards")
        reset(project)
        assert not report["passed"]
        assert re.search(
            r"core/features\.py:\d+:\d+: D103 Missing docstring in public function",
            report["reason"],
        )

    def test_missing_readme_section_fails(self, trained):
        project = trained("classification")
        edit(project / "README.md", "## Gates\n", "## Checks\n")
        report = gate(project, "standards")
        reset(project)
        assert not report["passed"] and "README.md has no '## Gates' section" in report["reason"]


@pytest.mark.xdist_group("gates-a")
class TestReproduce:
    def test_data_edited_without_the_manifest_fails(self, trained):
        project = trained("classification")
        data = project / "data" / "dataset.csv"
        data.write_text(data.read_text().replace("Yes,White,2002,21", "Yes,White,2002,22", 1))
        report = gate(project, "reproduce")
        reset(project)
        assert not report["passed"]
        assert (
            "data/dataset.csv: sha256" in report["reason"]
            and "does not match the manifest" in report["reason"]
        )

    def test_dependency_changed_without_relocking_fails(self, trained):
        project = trained("classification")
        edit(project / "pyproject.toml", '"pyyaml>=6",', '"pyyaml>=6",\n    "rich>=13",')
        report = attempt("uv run --frozen python -m $(basename src/*) gate reproduce", project)
        result = json.loads((project / "reports" / "gates" / "reproduce.json").read_text())
        reset(project)
        assert report.returncode == 1 and not result["passed"]
        assert "a dependency changed without re-locking" in result["reason"]

    def test_randomness_without_a_seed_fails(self, trained):
        project = trained("classification")
        pipeline = package(project) / "core" / "pipeline.py"
        edit(
            pipeline,
            "from sklearn.linear_model import LogisticRegression",
            "from sklearn.ensemble import RandomForestClassifier",
        )
        edit(
            pipeline,
            "LogisticRegression(random_state=seed, **PARAMS)",
            "RandomForestClassifier(n_estimators=25, min_samples_leaf=5)",
        )
        run("make train evaluate", cwd=project, env=ENV)
        report = gate(project, "reproduce")
        reset(project)
        assert not report["passed"]
        assert re.search(
            r"differs from model/record\.json: \w+ committed [\d.]+, retrained [\d.]+",
            report["reason"],
        )


@pytest.mark.xdist_group("gates-a")
class TestAccuracy:
    def test_metric_below_threshold_fails(self, trained):
        project = trained("classification")
        edit(package(project) / "core" / "pipeline.py", '"C": 1.0', '"C": 0.00001')
        run("make train evaluate", cwd=project, env=ENV)
        report = gate(project, "accuracy")
        reset(project)
        assert not report["passed"] and "log_loss 0.45" in report["reason"]
        assert "misses the threshold <= 0.45" in report["reason"]

    def test_candidate_clearly_worse_than_champion_fails_within_thresholds(self, trained):
        project = trained("classification")
        run("make promote", cwd=project, env=ENV)
        edit(package(project) / "core" / "pipeline.py", '"C": 1.0', '"C": 0.0005')
        run("make train evaluate", cwd=project, env=ENV)
        report = gate(project, "accuracy")
        reset(project)
        assert not report["passed"] and "misses the threshold" not in report["reason"]
        assert "log_loss is worse than the champion by" in report["reason"]
        assert report["table"]["columns"][:5] == [
            "metric",
            "threshold",
            "candidate",
            "champion",
            "gain",
        ]

    def test_retrain_of_the_same_code_against_itself_as_champion_passes(self, trained):
        project = trained("classification")
        run("make promote", cwd=project, env=ENV)  # the committed model, then the same again
        run("make train evaluate", cwd=project, env=ENV)
        report = gate(project, "accuracy")
        reset(project)
        assert report["passed"] and "no metric worse than champion version" in report["reason"]
        assert all(row[4] == 0 for row in report["table"]["rows"])


def in_project(project: Path, code: str) -> None:
    """Run Python code in the project's own environment (it has pandas; this suite does not)."""
    run(f"uv run --locked python -c '{code}'", cwd=project, env=ENV)


def add_column(project: Path, line: str, column: str) -> None:
    """Add a column to the data source and its schema, then fetch the data again."""
    module = package(project) / "io" / "dataset.py"
    edit(
        module,
        "    return load_arrests(as_frame=True)[SCHEMA.names]",
        f"""\
    frame = load_arrests(as_frame=True)
    {line}
    return frame[SCHEMA.names]""",
    )
    edit(module, "    columns=[\n", f"    columns=[\n        {column},\n")
    run("make data train evaluate export card", cwd=project, env=ENV)


@pytest.mark.xdist_group("gates-b")
class TestExplain:
    def test_feature_that_leaks_the_target_fails(self, trained):
        project = trained("classification")
        add_column(
            project,
            'frame["outcome_code"] = (frame["released"] == "Yes").astype(int)',
            'Column(name="outcome_code", kind="integer", min=0, max=1)',
        )
        report = gate(project, "explain")
        reset(project)
        assert not report["passed"]
        assert re.search(
            r"'outcome_code' carries \d+% of the importance .*leakage", report["reason"]
        )


@pytest.mark.xdist_group("gates-b")
class TestGovernance:
    def check(self, report: dict, name: str) -> str:
        row = next(row for row in report["table"]["rows"] if row[0] == name)
        assert row[1] == "fail", row
        return row[2]

    def test_model_leaning_on_a_sensitive_attribute_breaks_the_fairness_bound(self, trained):
        project = trained("classification")
        edit(
            project / "policy.yaml", "sensitive_as_features: []", "sensitive_as_features: [colour]"
        )
        run("make train evaluate export card", cwd=project, env=ENV)
        report = gate(project, "governance")
        reset(project)
        assert not report["passed"]
        detail = self.check(report, "fairness")
        assert re.search(
            r"demographic_parity_difference by colour is 0\.\d+ \(at most 0\.05\)", detail
        )

    def test_drifted_data_fails_against_the_champions(self, trained):
        project = trained("classification")
        run("make promote", cwd=project, env=ENV)
        in_project(
            project,
            "import hashlib, json, pandas as pd; "
            'f = pd.read_csv("data/dataset.csv"); f["age"] += 15; '
            'f.to_csv("data/dataset.csv", index=False, lineterminator=chr(10)); '
            'm = json.load(open("data/manifest.json")); '
            'm["sha256"] = hashlib.sha256(open("data/dataset.csv", "rb").read()).hexdigest(); '
            'json.dump(m, open("data/manifest.json", "w"))',
        )
        run("make train evaluate export card", cwd=project, env=ENV)
        report = gate(project, "governance")
        reset(project)
        assert not report["passed"]
        detail = self.check(report, "data quality and drift")
        assert re.search(r"\d+% of columns drifted from champion data \(at most 10%\)", detail)
        assert (project / "reports" / "governance" / "data.html").exists()

    def test_column_of_email_addresses_fails_privacy(self, trained):
        project = trained("classification")
        add_column(
            project,
            'frame["contact"] = [f"person{i}@example.org" for i in range(len(frame))]',
            'Column(name="contact", kind="text")',
        )
        report = gate(project, "governance")
        reset(project)
        assert not report["passed"]
        detail = self.check(report, "privacy")
        assert "column 'contact' has 5226 values that look like email addresses" in detail

    def test_placeholder_in_the_model_card_source_fails(self, trained):
        project = trained("classification")
        source = project / "model_card.yaml"
        source.write_text(
            re.sub(r"limitations: >-\n(  .*\n)+", "limitations: TODO\n", source.read_text())
        )
        report = gate(project, "governance")
        standards = gate(project, "standards")
        reset(project)
        assert "model_card.yaml: 'limitations' still holds a placeholder" in self.check(
            report, "model card"
        )
        assert (
            not standards["passed"]
            and "'limitations' still holds a placeholder" in standards["reason"]
        )

    def test_record_edited_by_hand_breaks_lineage(self, trained):
        project = trained("classification")
        record = project / "model" / "record.json"
        data = json.loads(record.read_text())
        data["data_sha256"] = "0" * 64
        record.write_text(json.dumps(data))
        report = gate(project, "governance")
        reset(project)
        detail = self.check(report, "lineage")
        assert "data_sha256 is 000000000000 in the record" in detail and "in MLflow run" in detail


@pytest.mark.xdist_group("gates-a")
class TestServing:
    def test_onnx_export_replaced_by_another_models_fails_parity(self, trained, tmp_path):
        project = trained("classification")
        edit(package(project) / "core" / "pipeline.py", '"C": 1.0', '"C": 0.001')
        run("make train export", cwd=project, env=ENV)
        other = tmp_path / "other.onnx"
        other.write_bytes((project / "model" / "model.onnx").read_bytes())
        reset(project)
        (project / "model" / "model.onnx").write_bytes(other.read_bytes())
        report = gate(project, "onnx")
        reset(project)
        assert not report["passed"] and "model/model.onnx" in report["reason"]

    def test_slow_predict_path_breaks_the_latency_slo(self, trained):
        project = trained("classification")
        service = package(project) / "io" / "service.py"
        call = "        predicted, scores = await model.predict(rows)"
        edit(service, call, "        await asyncio.sleep(0.05)\n" + call)
        report = gate(project, "load")
        reset(project)
        assert not report["passed"] and re.search(
            r"p95 latency \(ms\) [\d.]+ misses <= 25", report["reason"]
        )

    def test_resource_limit_below_the_measured_use_fails_with_the_figure(self, trained):
        project = trained("classification")
        edit(project / "policy.yaml", "max_rss_mb: 400", "max_rss_mb: 50")
        report = gate(project, "load")
        reset(project)
        assert not report["passed"]
        assert re.search(r"peak RSS \(MB\) [\d.]+ misses <= 50", report["reason"])
        # ...and the Kubernetes Deployment no longer carries the policy's limit.
        assert (
            "limits.memory is 400Mi, the policy says 50Mi: run make manifests" in report["reason"]
        )


ACTIONS = ROOT / "tests" / "actions"


def stand_ins(workflow: Path) -> list[str]:
    """``--local-repository`` options: each action the workflow pins, by its exact reference,
    replaced by the stand-in of the same name in tests/actions (act copies for checkout)."""
    options = []
    for reference, name in sorted(
        set(re.findall(r"uses: ([\w-]+/([\w-]+)@[0-9a-f]{40})", workflow.read_text()))
    ):
        if name != "checkout":
            assert (ACTIONS / name / "action.yml").exists(), f"no stand-in for {reference}"
            options += ["--local-repository", f"{reference}={ACTIONS / name}"]
    return options


def act(project: Path, tmp: Path, *options: str, workflow: str = "gates.yml") -> tuple[int, str]:
    """Run a workflow with act on this host; its exit code and log. The gates run on a pull
    request; other workflows as if started by hand (workflow_dispatch).

    Artifacts, and what the stand-ins would post, land in ``tmp/artifacts``.
    """
    home, artifacts = tmp / "home", tmp / "artifacts"
    home.mkdir(parents=True)
    artifacts.mkdir()
    repository = f"your-org/{project.name}"
    if subprocess.run("git remote get-url origin", shell=True, cwd=project).returncode:
        run(f"git remote add origin https://github.com/{repository}.git", cwd=project)
    event, payload = tmp / "event.json", {}
    if workflow == "gates.yml":
        head = {"repo": {"full_name": repository}}
        payload = {"pull_request": {"number": 1, "head": head}}
    event.write_text(json.dumps(payload))
    path = project / ".github" / "workflows" / workflow
    cache = run("uv cache dir", cwd=project).stdout.strip()  # before HOME moves
    command = [
        "act",
        "pull_request" if payload else "workflow_dispatch",
        "--workflows",
        str(path),
        "--eventpath",
        str(event),
        "--platform",
        "ubuntu-latest=-self-hosted",
        "--no-cache-server",
        "--rm",
        # No Docker engine here: the load gate runs the service as a process, not a container.
        "--var",
        "SERVICE_TARGET=process",
        *stand_ins(path),
        *options,
    ]
    env = {**os.environ, **ENV, "HOME": str(home), "UV_CACHE_DIR": cache}
    env["STANDIN_ARTIFACTS"] = str(artifacts)
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=1200
    )
    return done.returncode, done.stdout + done.stderr


def summaries(log: str) -> list[tuple[str, str]]:
    """(job, text) of every job summary act printed; a matrix leg's job is its gate's name."""
    found = re.findall(
        r"^\[gates/([\w-]+?)(?:-\d+)?\s*\]\s+⚙  Summary - (.*?)(?=^\[)", log, re.M | re.S
    )
    return [(job, text.strip()) for job, text in found]


def matrix_tasks(project: Path) -> dict[str, str]:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "gates.yml").read_text())
    return {
        leg["gate"]: leg["task"]
        for leg in workflow["jobs"]["gate"]["strategy"]["matrix"]["include"]
    }


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
        target = package(project) / "core" / "metrics.py"
        edit(target, "import numpy as np\n", "import os\nimport numpy as np\n")
        code, log = act(project, tmp_path, "--matrix", "gate:standards")
        reset(project)
        assert code != 0
        assert "Failure - Main make gate-standards" in log
        assert re.search(r"core/metrics\.py:\d+:\d+: F401 'os' imported but unused", log)
        assert ("standards", "### ❌ standards: FAILED") in [
            (job, text.splitlines()[0]) for job, text in summaries(log)
        ]
        assert "Failure - Main Every gate passed" in log


def champion(project: Path) -> str:
    """The registry's champion version in the project's SQLite store ('' when there is none).

    Read from MLflow's own table, which saves starting MLflow for each look.
    """
    with contextlib.closing(sqlite3.connect(project / "mlflow.db")) as store:
        found = store.execute(
            "SELECT version FROM registered_model_aliases WHERE alias = 'champion'"
        ).fetchone()
    return str(found[0]) if found else ""


@pytest.mark.xdist_group("gates-b")
class TestRelease:
    def test_the_champion_moves_only_after_the_smoke_test_passes(self, trained):
        project = trained("classification")
        run("make promote", cwd=project, env=ENV)
        before = champion(project)
        run("make train export", cwd=project, env=ENV)  # the next candidate
        candidate = json.loads((project / "model" / "record.json").read_text())["model"]
        assert candidate["version"] != before
        onnx = project / "model" / "model.onnx"
        onnx.write_bytes(onnx.read_bytes() + b"\0")  # a damaged artifact in the release
        done = attempt("make release", project, ENV)
        moved_anyway = champion(project)
        run("make export release", cwd=project, env=ENV)
        after = champion(project)
        deployment = json.loads((project / "reports/deployment/record.json").read_text())
        reset(project)
        assert done.returncode == 2
        assert re.search(
            r"the service stopped at startup: model/model.onnx has sha256", done.stderr
        )
        assert moved_anyway == before
        assert after == candidate["version"] == deployment["model"]["version"]
        assert deployment["service"] == "process" and deployment["image"] is None


def replay(port: int, rows: list[dict], target: str) -> list[tuple[str, str]]:
    """Send rows to the service in batches, as clients would; (prediction id, true label)."""
    answered = []
    for start in range(0, len(rows), 100):
        batch = rows[start : start + 100]
        body = [{k: v for k, v in row.items() if k != target} for row in batch]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/predict",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            request_id = json.load(response)["request_id"]
        answered += [(f"{request_id}-{i}", row[target]) for i, row in enumerate(batch)]
    return answered


@pytest.fixture(scope="module")
def replayed(trained):
    """The classification project's recorded model as champion, served, and sent two samples:
    its holdout, then the holdout with every age 25 years older (capped at the schema's 100).
    Each leaves a prediction log, logs/<sample>.jsonl, and labels, logs/<sample>-labels.csv."""
    project = trained("classification")
    run("make promote", cwd=project, env=ENV)
    in_project(
        project,
        f"from {package(project).name}.jobs import holdout; import json, pathlib; "
        'd = holdout(pathlib.Path(".")); rows = d.x.assign(released=d.frame["released"]); '
        "shifted = rows.assign(age=(rows.age + 25).clip(upper=100)); "
        'pathlib.Path("logs").mkdir(exist_ok=True); '
        'json.dump({"holdout": rows.to_dict("records"), "shifted": shifted.to_dict("records")},'
        ' open("logs/samples.json", "w"))',
    )
    samples = json.loads((project / "logs" / "samples.json").read_text())
    for name, rows in samples.items():
        port = free_port()
        served = {"PORT": str(port), "PREDICTION_LOG": f"logs/{name}.jsonl"}
        health = f"http://127.0.0.1:{port}/health"
        log = project / "logs" / f"{name}-service.log"
        with background("make --no-print-directory serve", project, served, health, log):
            answered = replay(port, rows, "released")
        labels = "".join(f"{id_},{label}\n" for id_, label in answered)
        (project / "logs" / f"{name}-labels.csv").write_text("id,released\n" + labels)
    return project


def monitor(project: Path, sample: str) -> subprocess.CompletedProcess:
    """``make monitor`` on one replayed sample and its labels."""
    inputs = {
        "MONITOR_INPUTS": f"logs/{sample}.jsonl",
        "MONITOR_LABELS": f"logs/{sample}-labels.csv",
    }
    return attempt("make monitor", project, {**ENV, **inputs})


def drift_history(project: Path) -> list[float]:
    """The drift share of each ``make monitor``: steps of the champion's monitoring run."""
    with contextlib.closing(sqlite3.connect(project / "mlflow.db")) as store:
        rows = store.execute(
            "SELECT value FROM metrics WHERE key = 'drift_share' ORDER BY step"
        ).fetchall()
    return [value for (value,) in rows]


@pytest.mark.xdist_group("gates-b")
class TestMonitoring:
    def test_holdout_traffic_with_its_labels_passes(self, replayed):
        done = monitor(replayed, "holdout")
        report = json.loads((replayed / "reports/monitoring/monitoring.json").read_text())
        assert done.returncode == 0, done.stderr[-2000:]
        assert report["passed"] and report["figures"]["rows"] == 1307
        assert re.search(r"^drift\s+pass\s+0 of 6 columns drifted", done.stdout, re.M)
        assert re.search(
            r"^kpi\s+pass\s+.*: roc_auc 0\.\d+ on 1307 labelled predictions; "
            r"target roc_auc >= 0\.68$",
            done.stdout,
            re.M,
        )
        assert drift_history(replayed)[-1] == 0.0

    def test_shifted_traffic_breaches_and_the_schedule_opens_an_issue_and_a_retraining_pr(
        self, replayed, tmp_path
    ):
        """The scheduled workflow's `make monitor` flags the shifted sample; its breach path
        retrains into a pull request and writes the issue (both stood in)."""
        code, log = act(
            replayed,
            tmp_path,
            "--var",
            f"MONITOR_INPUTS={replayed}/logs/shifted.jsonl",
            "--secret",
            f"MLFLOW_TRACKING_URI=sqlite:///{replayed}/mlflow.db",
            workflow="monitor.yml",
        )
        artifacts = tmp_path / "artifacts"
        reason = "breach: drift: 1 of 6 columns drifted (17%): age; at most 10%"
        assert code != 0, log[-4000:]  # a breach fails the monitor job
        assert "Failure - Main make monitor" in log and reason in log
        assert "Traceback" not in log
        summary = (artifacts / "monitoring" / "summary.md").read_text()
        assert "| age | Wasserstein distance (normed) |" in summary
        assert (artifacts / "monitoring" / "drift.html").exists()
        assert round(drift_history(replayed)[-1], 3) == 0.167

        assert "Success - Main make data candidate" in log, log[-4000:]
        retrained = artifacts / "retrained"  # from the read-only job to the one that writes
        assert (retrained / "model" / "record.json").exists()
        assert (retrained / "data" / "manifest.json").exists()
        request = artifacts / "pull-request"
        assert (request / "branch.txt").read_text() == "monitoring/retrain\n"
        assert "model/record.json" in (request / "files.txt").read_text().split()
        assert reason in (request / "body.md").read_text()
        issue = (artifacts / "issue.md").read_text()
        assert issue.startswith("<!-- monitoring-breach -->") and reason in issue
        assert "Retraining pull request: https://github.com/your-org/gated-model/pull/1" in issue
