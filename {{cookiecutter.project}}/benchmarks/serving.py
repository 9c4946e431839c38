"""Serving throughput and latency: MLflow's scoring server, this service and a floor, interleaved.

Three servers on the recorded model, driven by the same Locust load (``serving_load.py``:
FastHttpUser, no wait, 32 users for 20 s each), in rounds A B C, A B C, ... (``BENCH_ROUNDS``,
at least 3), so that a busy neighbour or a slow minute weighs on every server alike:

- MLflow: ``mlflow models serve --env-manager local`` on the run's scikit-learn pipeline;
- this service: the production command (``make serve``'s), on the exported ONNX model;
- the floor: the same request validation, body limit and server settings, answering a
  constant, no model.

Each figure is printed as the median of the rounds with its range: requests/s, p50 and p95
latency, the server processes' CPU time per request (user + system, independent of how fast the
load generator is), resident memory after a warm-up and time from start to ready. It also prints
the single-row latency of the pipeline and the ONNX model in process, and checks that they agree
within the onnx gate's tolerance. Targets (medians): this service >= 30x MLflow's requests/s with
a p95 <= 1/30 of MLflow's, >= 85% of the floor's requests/s with a CPU time per request within
1.2x the floor's, <= 110 MB resident and ready within 1.5 s; a missed target exits 1. The
service logs its predictions in a scratch folder, never in the production log. Run it with
``make benchmark-serving`` in a trained, exported project, on an otherwise quiet machine.
"""

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import psutil

from {{ cookiecutter.package }} import core, io, jobs, serving

USERS = 32
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
ROUNDS = max(3, int(os.environ.get("BENCH_ROUNDS", "3")))
WARM_UP = 200  # requests before resident memory is read
LOAD = Path(__file__).with_name("serving_load.py")
STARTUP_SECONDS = 180
SKLEARN, ONNX = "scikit-learn predict, 1-row DataFrame", "ONNX predict, prepared columns"
MLFLOW, OURS, FLOOR = "mlflow models serve", "this service", "floor (no model)"
# figure: (heading, format)
FIGURES = {
    "rps": ("req/s", "{:.0f}"),
    "p50_ms": ("p50 ms", "{:g}"),
    "p95_ms": ("p95 ms", "{:g}"),
    "cpu_ms": ("CPU ms/req", "{:.3f}"),
    "rss_mb": ("RSS MB", "{:.0f}"),
    "ready_s": ("ready s", "{:.2f}"),
}


def floor(root: Path, port: int) -> None:
    """Serve the floor: the service's request type, body limit and server settings, a constant."""
    import uvicorn
    from fastapi import Body, FastAPI, Response

    rules = jobs.policy(root)
    features = io.dataset.load_schema(root, rules).features(exclude=rules.data.excluded_features)
    body_type = core.inputs.body_type(core.inputs.row_model(features), rules.service.max_batch)
    answer = json.dumps({"model_version": "floor", "predictions": [{}]})

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        serving.app.settle()  # the service's garbage-collector settings
        yield

    app = FastAPI(telemetry=serving.app.NO_OPENTELEMETRY, lifespan=lifespan)
    app.add_middleware(serving.guard.Bounded, max_bytes=rules.service.max_body_bytes)

    @app.post("/predict")
    async def predict(body: Annotated[body_type, Body()]) -> Response:
        return Response(answer, media_type="application/json")

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, **serving.launcher.UVICORN)


def single_row(root: Path) -> dict[str, float]:
    """Median microseconds of one-row predictions, in this process; warns on a disagreement."""
    rules, record = jobs.policy(root), io.record.read_record(root)
    features = io.dataset.load_schema(root, rules).features(exclude=rules.data.excluded_features)
    pipeline = io.registry.load_model(f"runs:/{record.model.run_id}/model")
    model = serving.model.load(root, record)
    rows = io.data.holdout_rows(root, rules)
    frame = pd.DataFrame(rows)
    expected = core.metrics.outputs(pipeline, frame, rules.task)
    actual = model.predict(core.inputs.table_columns(frame, features))
    tolerance = rules.gates.onnx.tolerance
    worst, differ = jobs.gates.onnx.agreement(expected, actual, tolerance)
    if worst > tolerance or differ:
        print(f"warning: the ONNX model differs from the pipeline by up to {worst:.3g}")
    one = frame.head(1)
    columns = core.inputs.table_columns(one, features)
    validate = core.inputs.row_model(features).model_validate
    return {
        SKLEARN: jobs.gates.onnx.median_us(lambda: pipeline.predict(one), 300),
        ONNX: jobs.gates.onnx.median_us(lambda: model.predict(columns), 3000),
        "ONNX, with the service's validation": jobs.gates.onnx.median_us(
            lambda: model.predict(core.inputs.columns([validate(rows[0])], features)), 3000
        ),
    }


def measure(root: Path, server: dict, rows: Path) -> dict:
    """Start a server, time it to ready, warm it up, load it, stop it: its figures."""
    url = f"http://127.0.0.1:{server['port']}"
    with tempfile.TemporaryDirectory(prefix="serving-") as scratch:
        log = (Path(scratch) / "server.log").open("w")
        started = time.monotonic()
        process = subprocess.Popen(
            server["command"],
            cwd=root,
            env={**server["env"], "PREDICTION_LOG": f"{scratch}/predictions.jsonl"},  # not prod
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait(url + server["health"], process, Path(scratch) / "server.log")
            ready = time.monotonic() - started
            _warm_up(url, server["style"], rows)
            tree = psutil.Process(process.pid)
            rss, cpu = _resident_mb(tree), _cpu_seconds(tree)
            load = subprocess.run(
                [sys.executable, "-m", "locust", "--locustfile", str(LOAD), "--headless"]
                + ["--only-summary", "--users", str(USERS), "--spawn-rate", str(USERS)]
                + ["--run-time", f"{SECONDS}s", "--host", url, "--csv", f"{scratch}/locust"],
                env={
                    **os.environ,
                    "LOAD_ROWS": str(rows),
                    "BENCH_FORMAT": server["style"],
                },
                capture_output=True,
                text=True,
            )
            cpu = _cpu_seconds(tree) - cpu
            if load.returncode not in (0, 1):
                raise SystemExit(f"Locust failed: {load.stderr.strip().splitlines()[-1]}")
            totals = _totals(Path(scratch) / "locust_stats.csv")
        finally:
            io.server.stop_group(process, timeout=20)
            log.close()
    cpu_ms = 1000 * cpu / max(totals["requests"], 1)
    return {**totals, "cpu_ms": cpu_ms, "rss_mb": rss, "ready_s": ready}


def main() -> int:
    """Print single-row latencies, then each server's figures and the targets; 1 if one missed."""
    root = Path.cwd()
    if sys.argv[1:2] == ["--floor"]:
        floor(root, int(sys.argv[2]))
        return 0
    latencies = single_row(root)
    print("single row, in process (median):")
    for name, micros in latencies.items():
        print(f"  {name:40} {micros:10.1f} µs")
    print(f"  ONNX is {latencies[SKLEARN] / latencies[ONNX]:.0f}x faster than scikit-learn")

    servers = _servers(root)
    runs: dict[str, list[dict]] = {name: [] for name in servers}
    with tempfile.TemporaryDirectory(prefix="serving-rows-") as scratch:
        rows = Path(scratch) / "rows.json"
        rows.write_text(json.dumps(io.data.holdout_rows(root, jobs.policy(root))), "utf-8")
        for number in range(1, ROUNDS + 1):
            for name, server in servers.items():
                print(f"round {number}/{ROUNDS}: {name} ...", file=sys.stderr, flush=True)
                runs[name].append(measure(root, server, rows))
    load = os.getloadavg()
    print(
        f"\n{USERS} users, no wait, {SECONDS} s each, {ROUNDS} interleaved rounds; median (range)"
    )
    print(f"load average after the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("  " + f"{'server':18}" + "".join(f"{head:>22}" for head, _ in FIGURES.values()))
    for name, figures in runs.items():
        cells = [_cell([run[key] for run in figures], form) for key, (_, form) in FIGURES.items()]
        print("  " + f"{name:18}" + "".join(f"{cell:>22}" for cell in cells))
    return _judge({name: _medians(figures) for name, figures in runs.items()})


def _servers(root: Path) -> dict[str, dict]:
    """Each server's command, environment, port, health path and request style."""
    run_id = io.record.read_record(root).model.run_id
    env = {**os.environ, "MLFLOW_TRACKING_URI": io.registry.tracking_uri()}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    servers = {}
    for name in (MLFLOW, OURS, FLOOR):
        port = io.server.free_port()
        if name == MLFLOW:
            command = ["mlflow", "models", "serve", "--model-uri", f"runs:/{run_id}/model"]
            command += ["--env-manager", "local", "--host", "127.0.0.1", "--port", str(port)]
        elif name == OURS:
            command = serving.launcher.command(Path(sys.prefix))
        else:
            command = [sys.executable, str(Path(__file__).resolve()), "--floor", str(port)]
        servers[name] = {
            "command": command,
            "env": {**env, "HOST": "127.0.0.1", "PORT": str(port)},
            "port": port,
            "health": "/ping" if name == MLFLOW else "/health",
            "style": "mlflow" if name == MLFLOW else "rows",
        }
    return servers


def _judge(medians: dict[str, dict]) -> int:
    """Print each target with its figure; 1 when any is missed."""
    theirs, ours, bare = medians[MLFLOW], medians[OURS], medians[FLOOR]
    targets = [
        (
            "throughput vs MLflow",
            f"{ours['rps'] / theirs['rps']:.1f}x",
            ">= 30x",
            ours["rps"] >= 30 * theirs["rps"],
        ),
        (
            "p95 vs MLflow",
            f"1/{theirs['p95_ms'] / max(ours['p95_ms'], 1e-9):.1f}",
            "<= 1/30",
            30 * ours["p95_ms"] <= theirs["p95_ms"],
        ),
        (
            "share of the floor",
            f"{ours['rps'] / bare['rps']:.0%}",
            ">= 85%",
            ours["rps"] >= 0.85 * bare["rps"],
        ),
        (
            "CPU/request vs floor",
            f"{ours['cpu_ms'] / bare['cpu_ms']:.2f}x",
            "<= 1.2x",
            ours["cpu_ms"] <= 1.2 * bare["cpu_ms"],
        ),
        ("RSS after warm-up", f"{ours['rss_mb']:.0f} MB", "<= 110 MB", ours["rss_mb"] <= 110),
        ("start to ready", f"{ours['ready_s']:.2f} s", "<= 1.5 s", ours["ready_s"] <= 1.5),
    ]
    print()
    for name, value, target, met in targets:
        print(f"  {name:22} {value:>10}   (target {target:>9})  {'met' if met else 'MISSED'}")
    return 0 if all(met for *_, met in targets) else 1


def _medians(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in FIGURES}


def _cell(values: list[float], form: str) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{form.format(middle)} ({form.format(low)}-{form.format(high)})"


def _warm_up(url: str, style: str, rows: Path) -> None:
    """``WARM_UP`` requests, one at a time."""
    row = json.loads(rows.read_text(encoding="utf-8"))[0]
    path, body = (
        ("/invocations", {"dataframe_records": [row]}) if style == "mlflow" else ("/predict", row)
    )
    data = json.dumps(body).encode()
    for _ in range(WARM_UP):
        request = urllib.request.Request(
            url + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()


def _processes(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _resident_mb(root: psutil.Process) -> float:
    total = 0
    for process in _processes(root):
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def _cpu_seconds(root: psutil.Process) -> float:
    """User and system CPU time of a process tree, its reaped children's included."""
    total = 0.0
    for process in _processes(root):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _wait(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{url}: the server stopped: {log.read_text()[-500:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"{url}: not ready within {STARTUP_SECONDS} s")


def _totals(path: Path) -> dict:
    with path.open(encoding="utf-8", newline="") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    if not int(total["Request Count"]):
        raise SystemExit(f"Locust sent no request: see {path}")
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
    }


if __name__ == "__main__":
    sys.exit(main())
