"""The prediction service: a FastAPI app over the exported ONNX model.

Requests are typed from the dataset schema (``core/inputs.py``), so the OpenAPI document at
``/docs`` lists the real fields, and a bad request gets 422 naming each bad field. The model is
loaded once, at startup. Only runtime dependencies are imported: no MLflow, no training tools.
``/metrics`` serves Prometheus metrics, and each prediction goes to the prediction log
(``prediction_log.py``) without making the request wait. A body above the policy's
``service.max_body_bytes``, or too slow to arrive, is refused before it is parsed
(``guard.py``).
"""

import asyncio
import gc
import logging
import random
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, create_model
from pydantic_core import to_json

from ..core import inputs
from ..core.policy import Policy
from ..core.record import Record
from ..core.schema import Column, DatasetSchema
from ..io import dataset
from .model import OnnxModel, load
from . import prediction_log
from .telemetry import Measured, Telemetry

log = logging.getLogger("uvicorn.error")
# FastAPI's own OpenTelemetry hooks, off: the service's metrics are Prometheus' (/metrics), and
# looking up OpenTelemetry's providers on every request cost a fifth of the framework's time.
NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
# Tracked objects allocated (net) before the garbage collector runs: well above what the requests
# in flight hold at once, so that it does not run every few requests (Python's default is 700).
GC_YOUNG = 20_000
# Reads of the sockets a model call waits for beyond the first, so that more requests share it.
EXTRA_TURNS = 2


class Batcher:
    """One model call for the rows of every request read within a few event-loop turns.

    The call runs once the loop has read its sockets ``EXTRA_TURNS`` more times (turns without
    a wait, microseconds each when idle): no request waits for others to arrive, and under load
    the model's fixed cost per call is shared by the requests read together. Measured in the
    service under load, a call cost about a hundred microseconds of CPU whatever its rows; the
    rows per call were 8 with no extra turn, 11 with one and 15.6 with two.
    """

    def __init__(self, model: OnnxModel, features: list[Column]):
        """Batch the rows of ``features`` for ``model``."""
        self.model = model
        self.features = features
        self.waiting: list[tuple[list, asyncio.Future]] = []

    def predict(self, rows: list) -> asyncio.Future:
        """To await: predictions, scores (or None) and whether all are finite, as lists.

        A future rather than a coroutine: one frame fewer to suspend and resume per request.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.append((rows, future))
        if len(self.waiting) == 1:
            loop.call_soon(self._after, EXTRA_TURNS)
        return future

    def _after(self, turns: int) -> None:
        """Run the batch, or schedule this again ``turns`` times first.

        A callback scheduled by a callback runs in the next turn, after the loop has polled its
        sockets (asyncio's and uvloop's loops alike).
        """
        if turns:
            asyncio.get_running_loop().call_soon(self._after, turns - 1)
        else:
            self._run()

    def _run(self) -> None:
        waiting, self.waiting = self.waiting, []
        every = [row for rows, _ in waiting for row in rows]
        try:
            predicted, scores = self.model.predict(inputs.columns(every, self.features))
        except Exception as error:  # every waiting request must hear of it, whatever it is
            for _, future in waiting:
                if not future.done():
                    future.set_exception(error)
            return
        checked = predicted if scores is None else scores
        whole = bool(np.isfinite(checked).all())  # one check for the batch, as a rule
        # Python values once per batch, sliced per request: no numpy view per request.
        values, probabilities = predicted.tolist(), None if scores is None else scores.tolist()
        start = 0
        for rows, future in waiting:
            end = start + len(rows)
            if not future.done():  # a request whose client left is cancelled
                finite = whole or bool(np.isfinite(checked[start:end]).all())
                part = None if probabilities is None else probabilities[start:end]
                future.set_result((values[start:end], part, finite))
            start = end


class Served:
    """What the app's lifespan loads: the model's batcher and the prediction log (None before)."""

    model: Batcher | None = None
    log: prediction_log.PredictionLog | None = None


class Health(BaseModel):
    """Whether the service can predict, and whether it logs what it predicts."""

    status: Literal["ok", "starting", "degraded"]
    detail: str | None = None


class Metadata(BaseModel):
    """The model being served, as the record describes it."""

    name: str
    version: str
    run_id: str
    task: str
    features: list[str]
    data_sha256: str
    onnx_sha256: str
    git_sha: str
    metrics: dict[str, float]
    max_batch: int


def create_app(root: Path, rules: Policy, record: Record) -> FastAPI:
    """The app for the record's model; the model itself loads when the app starts."""
    schema = dataset.load_schema(root, rules)
    features = schema.features(exclude=rules.data.excluded_features)
    row = inputs.row_model(features)
    body_type = inputs.body_type(row, rules.service.max_batch)
    labels = schema.classes
    multiclass = rules.task == "multiclass"
    version = record.model.version
    metadata = _metadata(record, rules)
    telemetry = Telemetry(rules.task, version, _value_buckets(schema))

    # What the lifespan loads, read by every request: a plain object, whose attributes cost
    # less to read than app.state's (a Python-level lookup each).
    served = Served()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        model = load(root, record)
        model.predict(inputs.columns([row(**inputs.example(features))], features))  # warm up
        served.log = prediction_log.from_environment(
            root, telemetry.dropped.inc, telemetry.log_errors.inc
        )
        served.model = Batcher(model, features)
        settle()
        log.info("model %s version %s loaded, sha256 %s", metadata.name, version, model.sha256)
        yield
        served.model = None
        if served.log is not None:
            served.log.close()

    app = FastAPI(
        title=f"{metadata.name} prediction service",
        version=version,
        description=rules.goal,
        lifespan=lifespan,
        telemetry=NO_OPENTELEMETRY,
    )
    app.add_exception_handler(RequestValidationError, _rejection(rules.service.max_batch))
    # The body limit and the request metrics, in one layer (refusals are counted too).
    app.add_middleware(Measured, max_bytes=rules.service.max_body_bytes, telemetry=telemetry)

    @app.post(
        "/predict",
        response_model=_predictions_model(rules.task, labels),
        responses={
            400: {"description": "A request that is not valid HTTP"},
            408: {"description": "Headers or body too slow to arrive"},
            413: {
                "description": f"More than {rules.service.max_batch} rows, or a body above "
                f"{rules.service.max_body_bytes} bytes"
            },
            415: {"description": "A body that is not JSON"},
            422: {"description": "A row that does not fit the schema, each problem named"},
            503: {"description": "The model is not loaded yet, or too many requests at once"},
        },
    )
    async def predict(body: Annotated[body_type, Body()]) -> Response:  # type: ignore[valid-type]
        """Predict one row, or a list of rows; each prediction is in its row's place."""
        model = served.model
        if model is None:
            return JSONResponse({"detail": "the model is not loaded yet"}, status_code=503)
        rows = inputs.as_rows(body)
        predicted, scores, finite = await model.predict(rows)
        if not finite:
            return JSONResponse({"detail": "the model gave no finite output"}, status_code=422)
        items = _answers(predicted, scores, labels, multiclass)
        # 128 random bits as hex, like a UUID4's; row i's prediction id: <request_id>-<i>. An id
        # names a prediction, it guards nothing: the process's random generator (seeded from
        # the system's at start) gives them without a system call per request.
        request_id = f"{random.getrandbits(128):032x}"
        telemetry.predicted(items)
        if served.log is not None:
            entry = {"request_id": request_id, "time": time.time(), "model_version": version}
            served.log.write(entry, rows, items)
        payload = {"model_version": version, "request_id": request_id, "predictions": items}
        # pydantic's compiled encoder: a sixth of the standard library's time; the same JSON.
        return Response(to_json(payload), media_type="application/json")

    @app.get("/health", response_model=Health, responses={503: {"model": Health}})
    async def health() -> Response:
        """200 once the model is loaded and can predict, 503 before; degraded: the log fails."""
        if served.model is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        problem = _log_problem(served.log)
        if problem:  # still 200: restarting or unrouting the pod would not mend the log
            return JSONResponse({"status": "degraded", "detail": problem})
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        """Prometheus metrics: requests, latency, predictions, dropped log entries."""
        return Response(telemetry.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/metadata", response_model=Metadata)
    async def describe() -> Metadata:
        """The served model: version, training run, data hash and holdout metrics."""
        return metadata

    return app


def settle() -> None:
    """Once started: what startup made is kept out of garbage collection, which runs less often.

    Profiled, a third of a request's CPU time went to the garbage collector: a young collection
    every few requests, and full ones walking every object of the loaded libraries (tens of
    milliseconds each, a tail-latency spike). A served request leaves no reference cycle behind
    (a profiled run of hundreds left none), so collections can be rare; cycles that do arise, a
    refused request's exception for one, are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])


def _log_problem(log: prediction_log.PredictionLog | None) -> str | None:
    """Why the prediction log loses entries now, if it does."""
    if log is None:
        return None
    if not log.writing:
        return "the prediction log's writer has stopped"
    return log.failing


def _metadata(record: Record, rules: Policy) -> Metadata:
    model = record.model
    return Metadata(
        name=model.name,
        version=model.version,
        run_id=model.run_id,
        task=record.task,
        features=record.features,
        data_sha256=record.data_sha256,
        onnx_sha256=record.onnx.sha256 if record.onnx is not None else "",
        git_sha=record.git_sha,
        metrics=record.metrics,
        max_batch=rules.service.max_batch,
    )


def _answers(
    predicted: list, scores: list | None, labels: list[str], multiclass: bool
) -> list[dict]:
    """Each row's answer, as the service returns it.

    Its value (regression); or its class with the positive class's probability (binary), or
    with every class's probability (multiclass).
    """
    if scores is None:
        return [{"value": value} for value in predicted]
    pairs = zip(predicted, scores)
    if not multiclass:
        return [{"label": labels[label], "probability": score} for label, score in pairs]
    return [
        {"label": labels[label], "probabilities": dict(zip(labels, row))} for label, row in pairs
    ]


def _predictions_model(task: str, labels: list[str]) -> type[BaseModel]:
    # Types made at run time from the target's values, which mypy cannot check.
    label: Any = Literal[tuple(labels)]
    item: Any
    if task == "classification":
        item = create_model("Prediction", label=(label, ...), probability=(float, ...))
    elif task == "multiclass":
        item = create_model(
            "Prediction",
            label=(label, ...),
            probabilities=(dict[label, float], ...),
        )
    else:
        item = create_model("Prediction", value=(float, ...))
    return create_model(
        "Predictions",
        model_version=(str, ...),
        request_id=(str, ...),
        predictions=(list[item], ...),
    )


def _value_buckets(schema: DatasetSchema) -> tuple[float, ...]:
    """Ten equal buckets over the target's declared range, for a histogram of predictions."""
    target = schema.column(schema.target)
    if target.min is None or target.max is None:
        return ()
    step = (target.max - target.min) / 10
    return tuple(round(target.min + step * i, 6) for i in range(1, 11))


def _rejection(max_batch: int):
    """The 422 handler: each problem as ``loc``, ``msg``, ``type``; 413 and 415 where they fit."""

    async def reject(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [_problem(item) for item in error.errors()]
        whole = [item["type"] for item in problems if item["loc"] == ["body"]]
        if "too_long" in whole:
            detail = f"a request takes at most {max_batch} rows"
            return JSONResponse({"detail": detail}, status_code=413)
        sent = whole and "missing" not in whole
        if sent and not _is_json(request.headers.get("content-type", "")):
            detail = "send the rows as JSON, with the header Content-Type: application/json"
            return JSONResponse({"detail": detail}, status_code=415)
        return JSONResponse({"detail": problems}, status_code=422)

    return reject


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _problem(item: dict) -> dict:
    """One validation problem, without the echoed input and the union's tag in its location."""
    where = list(item["loc"])
    if len(where) > 1 and where[0] == "body" and where[1] in ("row", "rows"):
        del where[1]
    return {"loc": where, "msg": item["msg"], "type": item["type"]}
