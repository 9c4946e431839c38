"""Serving throughput and latency: MLflow's scoring server, this service and a floor, one load.

Each server is started in turn on the recorded model and driven by the same Locust load
(``serving_load.py``: FastHttpUser, no wait, 32 users for 20 s):

- MLflow: ``mlflow models serve --env-manager local`` on the run's scikit-learn pipeline;
- this service: the production command (``make serve``), on the exported ONNX model;
- the floor: the same request validation, body limit and server settings, answering a
  constant, no model.

It also prints the single-row latency of the pipeline and of the ONNX model, in process. The
service logs its predictions in a scratch folder, never in the production log.
Targets: this service >= 30x MLflow's requests/s with a p95 <= 1/30 of MLflow's, and >= 60% of
the floor's requests/s. Run it with ``make benchmark-serving`` in a trained, exported project.
"""

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Annotated

import pandas as pd

from {{ cookiecutter.package }} import core, io, jobs

USERS, SECONDS = 32, 20
LOAD = Path(__file__).with_name("serving_load.py")
STARTUP_SECONDS = 180
SKLEARN, ONNX = "scikit-learn predict, 1-row DataFrame", "ONNX predict, prepared columns"
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "ORT_DISABLE_TELEMETRY": "1"}


def floor(root: Path, port: int) -> None:
    """Serve the floor: the service's request type, body limit and server settings, a constant."""
    import uvicorn
    from fastapi import Body, FastAPI, Response

    rules = jobs.policy(root)
    features = io.dataset.load_schema(root, rules).features(exclude=rules.data.excluded_features)
    body_type = core.inputs.body_type(core.inputs.row_model(features), rules.service.max_batch)
    answer = json.dumps({"model_version": "floor", "predictions": [{}]})
    app = FastAPI()
    app.add_middleware(io.guard.Bounded, max_bytes=rules.service.max_body_bytes)

    @app.post("/predict")
    async def predict(body: Annotated[body_type, Body()]) -> Response:
        return Response(answer, media_type="application/json")

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, **jobs.serve.UVICORN)


def single_row(root: Path) -> dict[str, float]:
    """Median microseconds of one-row predictions, in this process."""
    rules, record = jobs.policy(root), io.record.read_record(root)
    features = io.dataset.load_schema(root, rules).features(exclude=rules.data.excluded_features)
    pipeline = io.registry.load_model(f"runs:/{record['model']['run_id']}/model")
    model = io.onnx_model.load(root, record)
    row = io.data.holdout_rows(root, rules)[0]
    frame = pd.DataFrame([row])
    columns = core.inputs.table_columns(frame, features)
    validate = core.inputs.row_model(features).model_validate
    if pipeline.predict(frame)[0] != model.predict(columns)[0][0]:
        print("warning: the pipeline and the ONNX model disagree on the first holdout row")
    return {
        SKLEARN: jobs.gates.onnx.median_us(lambda: pipeline.predict(frame), 300),
        ONNX: jobs.gates.onnx.median_us(lambda: model.predict(columns), 3000),
        "ONNX, with the service's validation": jobs.gates.onnx.median_us(
            lambda: model.predict(core.inputs.columns([validate(row)], features)), 3000
        ),
    }


def measure(root: Path, command: list[str], env: dict, port: int, health: str, style: str) -> dict:
    """Start a server, wait until ``health`` answers 200, load it, stop it; Locust's totals."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="serving-") as scratch:
        log = (Path(scratch) / "server.log").open("w")
        server = subprocess.Popen(
            command,
            cwd=root,
            env={**env, "PREDICTION_LOG": f"{scratch}/predictions.jsonl"},  # not the production log
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait(url + health, server, Path(scratch) / "server.log")
            rows = Path(scratch) / "rows.json"
            rows.write_text(
                json.dumps(io.data.holdout_rows(root, jobs.policy(root))), encoding="utf-8"
            )
            load = subprocess.run(
                [sys.executable, "-m", "locust", "--locustfile", str(LOAD), "--headless"]
                + ["--only-summary", "--users", str(USERS), "--spawn-rate", str(USERS)]
                + ["--run-time", f"{SECONDS}s", "--host", url, "--csv", f"{scratch}/locust"],
                env={**os.environ, **QUIET, "LOAD_ROWS": str(rows), "BENCH_FORMAT": style},
                capture_output=True,
                text=True,
            )
            if load.returncode not in (0, 1):
                raise SystemExit(f"Locust failed: {load.stderr.strip().splitlines()[-1]}")
            return _totals(Path(scratch) / "locust_stats.csv")
        finally:
            io.server.stop_group(server, timeout=20)
            log.close()


def main() -> int:
    """Print single-row latencies, then each server's figures and the ratios to the targets."""
    root = Path.cwd()
    if sys.argv[1:2] == ["--floor"]:
        floor(root, int(sys.argv[2]))
        return 0
    latencies = single_row(root)
    print("single row, in process (median):")
    for name, micros in latencies.items():
        print(f"  {name:40} {micros:10.1f} µs")
    print(f"  ONNX is {latencies[SKLEARN] / latencies[ONNX]:.0f}x faster than scikit-learn")

    run_id = io.record.read_record(root)["model"]["run_id"]
    env = {**os.environ, **QUIET, "MLFLOW_TRACKING_URI": io.registry.tracking_uri()}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    servers = {}
    port = _free_port()
    mlflow = ["mlflow", "models", "serve", "--model-uri", f"runs:/{run_id}/model"]
    mlflow += ["--env-manager", "local", "--host", "127.0.0.1", "--port", str(port)]
    servers["mlflow models serve"] = measure(root, mlflow, env, port, "/ping", "mlflow")
    port = _free_port()
    ours = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    servers["this service"] = measure(root, jobs.serve.COMMAND, ours, port, "/health", "rows")
    port = _free_port()
    bare = [sys.executable, str(Path(__file__).resolve()), "--floor", str(port)]
    servers["floor (no model)"] = measure(root, bare, env, port, "/health", "rows")

    print(f"\n{USERS} users, no wait, {SECONDS} s each:")
    print(f"  {'server':22} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'failures':>9}")
    for name, totals in servers.items():
        print(
            f"  {name:22} {totals['rps']:9.1f} {totals['p50_ms']:8g} {totals['p95_ms']:8g} "
            f"{totals['failures']:9d}"
        )
    theirs, ours, bare = servers.values()
    throughput = ours["rps"] / theirs["rps"]
    p95 = theirs["p95_ms"] / max(ours["p95_ms"], 1e-9)
    share = ours["rps"] / bare["rps"]
    print(
        f"\n  throughput vs MLflow  {throughput:6.1f}x   (target >= 30x)  {_met(throughput >= 30)}"
    )
    print(f"  p95 vs MLflow         1/{p95:<5.1f}   (target <= 1/30)  {_met(p95 >= 30)}")
    print(f"  share of the floor    {share:6.0%}    (target >= 60%)  {_met(share >= 0.6)}")
    return 0


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
        time.sleep(0.2)
    raise SystemExit(f"{url}: not ready within {STARTUP_SECONDS} s")


def _totals(path: Path) -> dict:
    with path.open(encoding="utf-8", newline="") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _met(good: bool) -> str:
    return "met" if good else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
