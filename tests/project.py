"""The trained projects the gate tests share, and the helpers that change and judge them."""

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import attempt, interpreter, run
from tests.matrix import DEFAULT_PYTHON, SUPPORTED

GATES = ["standards", "reproduce", "accuracy", "explain", "governance", "onnx", "load"]

# The supported combinations on the default Python: their projects run every task and gate.
DEFAULTS = {o["task"]: o for o in SUPPORTED if o["python_version"] == DEFAULT_PYTHON}
ENV = {"UV_PYTHON": interpreter(DEFAULT_PYTHON), "VIRTUAL_ENV": ""}


def gate(project: Path, name: str, env: dict = ENV) -> dict:
    """Run ``make gate-<name>`` and return its report; exit code and verdict must agree."""
    done = attempt(f"make gate-{name}", project, env)
    report = json.loads((project / "reports" / "gates" / f"{name}.json").read_text())
    assert report["gate"] == name
    assert (done.returncode == 0) == report["passed"], done.stderr[-2000:]
    assert (project / "reports" / "gates" / f"{name}.md").read_text().startswith("### ")
    return report


@contextlib.contextmanager
def changed(project: Path) -> Iterator[None]:
    """A bad change made inside the block is undone however the block ends: tracked files go
    back to the last commit, new files are removed, and the MLflow store (git ignores it) is
    put back, so a promotion or a retrain leaves no champion or version behind for later tests.
    """
    store = project / "mlflow.db"
    saved = store.read_bytes() if store.exists() else None
    try:
        yield
    finally:
        run("git checkout -q -- . && git clean -fdq", cwd=project)
        if saved is not None:
            store.write_bytes(saved)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def package(project: Path) -> Path:
    return next((project / "src").iterdir())


def in_project(project: Path, code: str) -> None:
    """Run Python code in the project's own environment (it has pandas; this suite does not)."""
    run(f"uv run --locked python -c '{code}'", cwd=project, env=ENV)


def add_column(project: Path, expression: str, column: str, retrain: bool = True) -> None:
    """Add a column to the data as a user would: the demo table with the column as a CSV
    source, the column in schema.yaml, a review of the new data, then (``retrain``) the model
    again."""
    in_project(
        project,
        f"from {package(project).name} import io; import pathlib; "
        'frame = io.sources.read_source("demo:arrests", pathlib.Path(".")); '
        f"{expression}; "
        'pathlib.Path("data/raw").mkdir(parents=True, exist_ok=True); '
        'frame.to_csv("data/raw/arrests.csv", index=False)',
    )
    edit(project / "policy.yaml", "source: demo:arrests", "source: data/raw/arrests.csv")
    schema = project / "schema.yaml"
    schema.write_text(schema.read_text() + column + "\n")
    tasks = "data review train evaluate export card" if retrain else "data review"
    run(f"make {tasks}", cwd=project, env=ENV)


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


def champion(project: Path) -> str:
    """The registry's champion version in the project's SQLite store ('' when there is none).

    Read from MLflow's own table, which saves starting MLflow for each look.
    """
    with contextlib.closing(sqlite3.connect(project / "mlflow.db")) as store:
        found = store.execute(
            "SELECT version FROM registered_model_aliases WHERE alias = 'champion'"
        ).fetchone()
    return str(found[0]) if found else ""
