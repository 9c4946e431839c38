import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import uvicorn
from sklearn.base import clone
from fastapi.testclient import TestClient
from pydantic import BaseModel

from {{ cookiecutter.package }} import (
    PACKAGE,
    cli,
    core,
    io,
    jobs,
    serving,
)

PROJECT = Path(__file__).resolve().parents[1]


def app_for(root, max_batch=None):
    rules = jobs.policy(root)
    if max_batch is not None:
        rules.service.max_batch = max_batch
    return serving.app.create_app(root, rules, io.record.read_record(root))


@pytest.fixture(scope="module")
def client(served):
    with TestClient(app_for(served)) as client:
        yield client


@pytest.fixture(scope="module")
def rows(fitted):
    return fitted.parts.x_holdout.head(50).to_dict(orient="records")


def outputs(body, task, classes=()):
    """Probabilities (one per class for multiclass) or values of a /predict answer."""
    if task == "multiclass":
        return np.array(
            [[item["probabilities"][c] for c in classes] for item in body["predictions"]]
        )
    key = "probability" if task == "classification" else "value"
    return np.array([item[key] for item in body["predictions"]])


def test_health_is_503_until_the_model_is_loaded(served):
    app = app_for(served)
    assert TestClient(app).get("/health").status_code == 503
    with TestClient(app) as client:
        answer = client.get("/health")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_one_row_and_a_batch_get_the_pipeline_predictions(client, fitted, rows, policy, schema):
    x = fitted.parts.x_holdout.head(len(rows))
    one = client.post("/predict", json=rows[0])
    batch = client.post("/predict", json=rows)
    assert one.status_code == batch.status_code == 200
    assert len(one.json()["predictions"]) == 1 and len(batch.json()["predictions"]) == len(rows)
    if policy.task == "regression":
        expected = fitted.pipeline.predict(x)
    else:
        expected = core.metrics.outputs(fitted.pipeline, x, policy.task)[1]
        labels = [item["label"] for item in batch.json()["predictions"]]
        assert labels == [schema.classes[index] for index in fitted.pipeline.predict(x)]
    tolerance = policy.gates.onnx.tolerance * np.maximum(1, np.abs(expected))
    found = outputs(batch.json(), policy.task, schema.classes)
    assert (np.abs(found - expected) <= tolerance).all()
    first = outputs(one.json(), policy.task, schema.classes)[0]
    assert (np.abs(first - expected[0]) <= tolerance[0]).all()


def test_metadata_comes_from_the_record(client, served, policy):
    record = io.record.read_record(served)
    body = client.get("/metadata").json()
    assert body["version"] == record.model.version and body["run_id"] == record.model.run_id
    assert body["data_sha256"] == record.data_sha256 and body["onnx_sha256"] == record.onnx.sha256
    assert body["metrics"] == record.metrics and body["features"] == record.features
    assert body["max_batch"] == policy.service.max_batch


def test_each_bad_field_is_named(client, fitted, rows):
    numeric = next(c for c in fitted.features if c.kind != "category")
    category = next((c for c in fitted.features if c.kind == "category"), None)
    bad = {numeric.name: "many"} | ({category.name: "not-a-value"} if category else {})
    broken = {**rows[0], **bad, "surprise": 1}
    missing = next(name for name in rows[0] if name not in bad)
    del broken[missing]
    answer = client.post("/predict", json=broken)
    assert answer.status_code == 422
    named = {tuple(problem["loc"]): problem["msg"] for problem in answer.json()["detail"]}
    expected = {("body", name) for name in [*bad, "surprise", missing]}
    assert set(named) == expected
    in_a_batch = client.post("/predict", json=[rows[0], broken])
    assert {tuple(p["loc"])[:2] for p in in_a_batch.json()["detail"]} == {("body", 1)}


def test_values_out_of_the_schema_range_are_refused(client, fitted, rows):
    bounded = [c for c in fitted.features if c.kind != "category" and c.max is not None]
    for column in bounded:
        answer = client.post("/predict", json={**rows[0], column.name: column.max + 1})
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", column.name]


def test_excluded_sensitive_features_are_not_inputs(client, policy, rows, schema):
    if not policy.data.excluded_features:
        pytest.skip("the policy excludes no sensitive feature")
    documented = client.get("/openapi.json").json()["components"]["schemas"]["Row"]["properties"]
    for name in policy.data.excluded_features:
        assert name not in documented
        value = schema.column(name).values[0] if schema.column(name).values else 1
        answer = client.post("/predict", json={**rows[0], name: value})
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["type"] == "extra_forbidden"


def test_a_batch_above_the_policy_maximum_is_413(served, rows):
    with TestClient(app_for(served, max_batch=3)) as client:
        assert client.post("/predict", json=rows[:3]).status_code == 200
        assert client.post("/predict", json=rows[:4]).status_code == 413
        assert client.post("/predict", json=[]).status_code == 422


def test_openapi_documents_each_feature_with_its_bounds(client, fitted):
    row = client.get("/openapi.json").json()["components"]["schemas"]["Row"]
    assert list(row["properties"]) == [c.name for c in fitted.features]
    assert set(row["required"]) == set(row["properties"]) and row["additionalProperties"] is False
    for column in fitted.features:
        field = row["properties"][column.name]
        if column.kind == "category":
            assert field["enum"] == column.values
        else:
            assert field["type"] == ("integer" if column.kind == "integer" else "number")
            if column.min is not None:
                assert field["minimum"] == column.min
            if column.max is not None:
                assert field["maximum"] == column.max


def test_openapi_lists_every_status_of_predict(client):
    answers = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["responses"]
    assert {"200", "400", "408", "413", "415", "422", "503"} <= set(answers)


def test_a_body_over_the_limit_is_413_and_a_full_batch_within_it_is_served(client, rows, policy):
    batch = (rows * policy.service.max_batch)[: policy.service.max_batch]
    assert len(json.dumps(batch)) <= policy.service.max_body_bytes  # the two limits agree
    assert client.post("/predict", json=batch).status_code == 200
    over = b"[" + b" " * policy.service.max_body_bytes + b"]"  # an empty list, were it parsed
    answer = client.post("/predict", content=over, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and "bytes" in answer.json()["detail"]


@pytest.fixture
def live(served, monkeypatch):
    """The app under a real uvicorn with the production settings, with 0.5 s read deadlines."""
    monkeypatch.setattr(serving.guard, "HEADER_SECONDS", 0.5)
    monkeypatch.setattr(serving.guard, "BODY_SECONDS", 0.5)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app_for(served), host="127.0.0.1", port=port, **serving.launcher.UVICORN
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert eventually(lambda: server.started, 30)
    yield SimpleNamespace(port=port, server=server, thread=thread)
    server.should_exit = True
    thread.join(30)


def exchange(port: int, *parts: bytes, pause: float = 0) -> str:
    """Send ``parts`` on one connection, ``pause`` seconds apart; the answer's status."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        for part in parts:
            try:
                connection.sendall(part)
            except OSError:  # answered and closed before the rest was sent
                break
            time.sleep(pause)
        answer = connection.recv(100)
    return answer.split(b" ")[1].decode() if answer else "closed"


def test_hostile_clients_get_refused_in_time(live, policy):
    limit = policy.service.max_body_bytes
    head = b"POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
    chunk = b"[" + b" " * (limit // 4)
    chunked = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    unsized = head + b"transfer-encoding: chunked\r\n\r\n"  # counted as it arrives
    assert exchange(live.port, unsized, *[chunked] * 5) == "413"
    assert exchange(live.port, head + b"content-length: %d\r\n\r\n" % (limit + 1)) == "413"
    started = time.monotonic()
    assert exchange(live.port, head + b"content-length: 100\r\n\r\n[") == "408"  # body late
    assert exchange(live.port, head + b"x-slow: ", b"a", b"a", pause=0.2) == "408"  # headers late
    assert time.monotonic() - started < 3
    assert exchange(live.port, head + b"x-big: " + b"a" * 40_000, b"a" * 40_000) == "431"
    with urllib.request.urlopen(f"http://127.0.0.1:{live.port}/metrics") as answer:
        counted = answer.read().decode()
    for status in ("413", "499"):  # 499: the late body's request, cut off
        assert re.search(f'endpoint="/predict",model_version="[^"]+",status="{status}"', counted)


def test_a_client_trickling_its_body_does_not_hold_the_shutdown(live):
    with socket.create_connection(("127.0.0.1", live.port)) as connection:
        connection.sendall(b"POST /predict HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n[")
        time.sleep(0.1)
        started = time.monotonic()
        live.server.should_exit = True
        live.thread.join(10)
        assert not live.thread.is_alive() and time.monotonic() - started < 3
    grace = core.kubernetes.GRACE_SECONDS
    assert serving.launcher.UVICORN["timeout_graceful_shutdown"] <= grace - 5  # time left to exit


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"", "application/json"),
        (b"not json", "application/json"),
        (b'{"a": NaN}', "application/json"),
        (b"NaN", "application/json"),
        (b"1e999", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b"[[]]", "application/json"),
        (b"null", "application/json"),
        (b'"text"', "application/json"),
        (b"a=1", "application/x-www-form-urlencoded"),
        (b"{}", "text/plain"),
        (b"{}", None),
    ],
)
def test_malformed_bodies_get_a_4xx_never_a_5xx(client, body, content_type):
    headers = {"content-type": content_type} if content_type else {}
    answer = client.post("/predict", content=body, headers=headers)
    assert 400 <= answer.status_code < 500, answer.text


def test_a_model_that_is_not_the_recorded_one_is_refused(served, fitted, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(served, root)
    other = clone(fitted.pipeline).fit(  # the same pipeline, fitted on less data
        fitted.parts.x_train.iloc[::2], fitted.parts.y_train.iloc[::2]
    )
    io.onnx_model.export(other, fitted.features, {}, root / io.onnx_model.MODEL)
    with pytest.raises(core.ProjectError, match="is not the recorded model's export"):
        io.onnx_model.read(root, io.record.read_record(root))
    monkeypatch.chdir(root)
    with pytest.raises(
        core.ProjectError, match=r"model/model.onnx has sha256 \w+, the record says"
    ):
        serving.launcher.serve(root)  # refused before the port opens


def test_the_production_command_is_the_same_everywhere():
    dockerfile = (PROJECT / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd.removeprefix("CMD ")) == serving.launcher.command(Path("/app/.venv"))
    assert "uv" not in dockerfile.split("\nFROM ")[-1].split()  # nor in the image at all
    if shutil.which("make"):
        # Without the directory lines a make that runs inside another make would print.
        dry_run = ["make", "--no-print-directory", "-s", "-n", "serve"]
        recipe = subprocess.run(dry_run, cwd=PROJECT, capture_output=True)
        last = recipe.stdout.decode().strip().splitlines()[-1]
        assert last == " ".join(serving.launcher.command(Path(".venv")))
        recipe = subprocess.run(dry_run + ["CONFINE=1"], cwd=PROJECT, capture_output=True)
        assert recipe.stdout.decode().strip().splitlines()[-1] == last + " --confine"


def test_serve_confine_reaches_the_launcher(monkeypatch, capsys):
    asked = []
    monkeypatch.setattr(
        serving.launcher, "serve", lambda root, confine=False: asked.append(confine) or "done"
    )
    assert cli.main(["serve", "--confine"]) == 0 and cli.main(["serve"]) == 0
    assert asked == [True, False] and capsys.readouterr().out == "done\ndone\n"


def test_a_confined_service_is_refused_in_one_line_where_no_cgroup_can_be_made(served, monkeypatch):
    nowhere = io.cgroups.Cell("", 400, 120, why_not="no cgroup v2 hierarchy at /sys/fs/cgroup")
    monkeypatch.setattr(io.cgroups, "create", lambda name, limits: nowhere)
    monkeypatch.chdir(served)
    with pytest.raises(core.ProjectError, match="^no cgroup to confine the service in: no cgr"):
        serving.launcher.serve(served, confine=True)


LOADED = """
import json, sys
from pathlib import Path
from {package}.core.policy import load_policy
from {package}.io.record import read_record
from {package}.serving import app, launcher, model

root, record = Path.cwd(), read_record(Path.cwd())
app.create_app(root, load_policy(root / launcher.POLICY), record)
model.load(root, record)
print(json.dumps(sorted(set(name.split(".")[0] for name in sys.modules))))
"""


def test_the_service_loads_no_training_library(served):
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(package=PACKAGE)],
        cwd=served,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert {"fastapi", "onnxruntime"} <= loaded
    assert loaded & {"pandas", "sklearn", "scipy", "pyarrow", "mlflow"} == set()


def not_runtime_modules() -> set[str]:
    """Top-level modules that only dependency groups bring: the service must import none."""
    from importlib.metadata import packages_distributions

    locked = subprocess.run(
        ["uv", "export", "--frozen", "--no-default-groups", "--no-hashes", "--no-emit-project"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    runtime = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in locked.splitlines()
        if "==" in line
    }
    return {
        module
        for module, names in packages_distributions().items()
        if not {name.lower().replace("_", "-") for name in names} & runtime
    }


BLOCKING = """
import sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(name + " is not a runtime dependency")

sys.meta_path.insert(0, Refuse())
from {package}.cli import main
sys.exit(main(["serve"]))
"""


def test_the_service_runs_on_runtime_dependencies_alone(served, rows):
    blocked = not_runtime_modules()
    assert {"mlflow", "locust", "skl2onnx"} <= blocked
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"HOST": "127.0.0.1", "PORT": str(port), "PATH": str(Path(sys.executable).parent)}
    server = subprocess.Popen(
        [sys.executable, "-c", BLOCKING.format(blocked=blocked, package=PACKAGE)],
        cwd=served,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        assert server.poll() is None, server.stdout.read()
        request = urllib.request.Request(
            f"{url}/predict",
            data=json.dumps(rows[0]).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_metrics_count_requests_by_endpoint_and_status_and_the_predictions(served, rows, policy):
    with TestClient(app_for(served)) as client:
        for row in rows[:3]:
            assert client.post("/predict", json=row).status_code == 200
        assert client.post("/predict", json={"nonsense": 1}).status_code == 422
        text = client.get("/metrics").text
    version = io.record.read_record(served).model.version
    labels = 'endpoint="/predict",model_version="' + version + '"'
    assert "service_requests_total{" + labels + ',status="200"} 3.0' in text
    assert "service_requests_total{" + labels + ',status="422"} 1.0' in text
    assert "service_request_seconds_count{" + labels + "} 4.0" in text
    if policy.task != "regression":
        counted = re.findall(
            r'^predictions_total\{label="[^"]+",model_version="\w+"\} (\S+)$', text, re.M
        )
    else:
        counted = re.findall(r'^prediction_value_count\{model_version="\w+"\} (\S+)$', text, re.M)
    assert sum(float(value) for value in counted) == 3


def test_a_histogram_counts_each_value_in_the_first_bucket_at_or_above_it():
    histogram = serving.telemetry.Histogram((0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 1.0, 7.0):
        histogram.observe(value)
    assert histogram.buckets() == [("0.1", 2), ("1.0", 4), ("+Inf", 5)]
    assert histogram.total == pytest.approx(8.65)


def test_the_prediction_log_keeps_every_prediction_with_its_id(served, rows, monkeypatch, tmp_path):
    monkeypatch.setenv("PREDICTION_LOG", str(tmp_path / "predictions.jsonl"))
    with TestClient(app_for(served)) as client:
        answer = client.post("/predict", json=rows[:3]).json()
    entries = [
        json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()
    ]
    request_id = answer["request_id"]
    assert [entry["id"] for entry in entries] == [f"{request_id}-{i}" for i in range(3)]
    assert [entry["output"] for entry in entries] == answer["predictions"]
    assert [entry["features"] for entry in entries] == [
        {name: row[name] for name in entries[0]["features"]} for row in rows[:3]
    ]
    assert {entry["model_version"] for entry in entries} == {answer["model_version"]}


class Logged(BaseModel):
    """A request row's type, as the service makes one from the schema."""

    a: int


def logged_row(value=1):
    """A row as the service hands it to the log."""
    return Logged(a=value)


def test_the_log_queue_is_bounded_in_rows_not_requests(tmp_path):
    dropped = []
    log = serving.prediction_log.PredictionLog(
        tmp_path / "p.jsonl", capacity=1000, on_drop=dropped.append
    )  # not started: nothing leaves the queue
    log.write({"request_id": "a"}, [logged_row()] * 600, [{}] * 600)
    log.write({"request_id": "b"}, [logged_row()] * 600, [{}] * 600)  # 1200 rows: dropped
    log.write({"request_id": "c"}, [logged_row()] * 400, [{}] * 400)  # 1000 rows: queued
    log.write({"request_id": "d"}, [logged_row()], [{}])
    assert log.dropped == 601 and dropped == [600, 1]


def eventually(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_the_log_writer_survives_a_failed_write_rotates_and_flushes(tmp_path):
    folder = tmp_path / "logs"
    errors = []
    log = serving.prediction_log.PredictionLog(
        folder / "p.jsonl", max_bytes=300, backups=2, on_error=lambda: errors.append(1)
    ).start()
    folder.rmdir()  # the first write finds no folder
    log.write({"request_id": "lost"}, [logged_row()] * 2, [{}] * 2)
    assert eventually(lambda: log.errors == 1) and errors == [1]
    assert "cannot be written" in log.failing and log.dropped == 2 and log.writing
    folder.mkdir()
    for number in range(12):  # ~60 bytes a line: rotated at 300 bytes
        log.write({"request_id": str(number)}, [logged_row(number)], [{}])
        time.sleep(serving.prediction_log.PAUSE)
    log.close()  # writes what is queued
    assert log.failing is None and log.dropped == 2 and not log.writing
    files = [folder / name for name in ("p.jsonl.2", "p.jsonl.1", "p.jsonl")]
    assert files[1].exists() and all(path.stat().st_size <= 300 for path in files[1:])
    lines = [json.loads(line) for path in files if path.exists() for line in path.open()]
    assert [line["features"]["a"] for line in lines] == list(range(12))[-len(lines) :]


def test_a_log_that_cannot_be_written_shows_in_metrics_and_health(served, rows, monkeypatch):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    monkeypatch.setenv("PREDICTION_LOG", "/dev/full")

    def lost(text: str, name: str) -> float:
        return float(re.search(r"^prediction_log_" + name + r"_total\{.*\} (\S+)$", text, re.M)[1])

    with TestClient(app_for(served)) as client:
        for _ in range(2):  # the writer lives on after a failure
            assert client.post("/predict", json=rows[:3]).status_code == 200
            time.sleep(0.2)
        assert eventually(lambda: lost(client.get("/metrics").text, "dropped") == 6)
        assert lost(client.get("/metrics").text, "errors") >= 1
        health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert "No space left on device" in health.json()["detail"]
