"""Prometheus metrics of the service, served at ``GET /metrics``.

Requests by endpoint and status with their latency, the predictions' distribution (class
counts, or a histogram of values), dropped prediction-log entries and failed writes of the log;
every series carries the model version. Each app has its own registry, so apps in one process
never collide.
"""

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

ENDPOINTS = ("/predict", "/health", "/metadata", "/metrics")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Telemetry:
    """The service's metrics."""

    def __init__(self, task: str, version: str, value_buckets: tuple[float, ...] = ()):
        """Metrics for a ``task`` model of ``version``; ``value_buckets`` for regression."""
        self.registry = CollectorRegistry()
        self.version = version
        # Labelled series, looked up once each: prometheus-client's labels() takes a lock and
        # builds a key on every call, a measurable share of a request's time.
        self._answered: dict[tuple[str, int], tuple] = {}
        self._predicted: dict[str, Any] = {}
        self.requests = Counter(
            "service_requests",
            "Requests answered, by endpoint and status.",
            ["endpoint", "status", "model_version"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "service_request_seconds",
            "Time to answer a request, by endpoint.",
            ["endpoint", "model_version"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.dropped = Counter(
            "prediction_log_dropped",
            "Prediction-log entries (rows) lost: the log's queue was full, or their write failed.",
            ["model_version"],
            registry=self.registry,
        ).labels(version)
        self.log_errors = Counter(
            "prediction_log_errors",
            "Writes of the prediction log that failed (a full disk, a target that refuses).",
            ["model_version"],
            registry=self.registry,
        ).labels(version)
        self._labels: Counter | None
        self._values: Histogram | None
        if task != "regression":
            self._labels = Counter(
                "predictions",
                "Predicted rows, by predicted label.",
                ["label", "model_version"],
                registry=self.registry,
            )
            self._values = None
        else:
            self._labels = None
            self._values = Histogram(
                "prediction_value",
                "Predicted values.",
                ["model_version"],
                buckets=value_buckets or Histogram.DEFAULT_BUCKETS,
                registry=self.registry,
            ).labels(version)

    def answered(self, path: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        endpoint = path if path in ENDPOINTS else "other"
        series = self._answered.get((endpoint, status))
        if series is None:  # a few endpoints times a few statuses: a bounded dict
            series = self._answered[endpoint, status] = (
                self.requests.labels(endpoint, str(status), self.version),
                self.latency.labels(endpoint, self.version),
            )
        series[0].inc()
        series[1].observe(seconds)

    def predicted(self, outputs: list[dict]) -> None:
        """Count a request's predictions."""
        labels, values = self._labels, self._values
        if values is not None:
            for output in outputs:
                values.observe(output["value"])
        if labels is None:
            return
        for output in outputs:
            series = self._predicted.get(output["label"])
            if series is None:  # the model's classes: a bounded dict
                series = self._predicted[output["label"]] = labels.labels(
                    output["label"], self.version
                )
            series.inc()

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


class Measured:
    """ASGI middleware: time every HTTP request and count it by endpoint and status."""

    def __init__(self, app, telemetry: Telemetry):
        """Wrap ``app``."""
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope, receive, send):
        """Pass the request on, noting the status it was answered with."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 0

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException:
            status = status or 500  # the server's error handler, outside, answers 500
            raise
        finally:
            # No answer and no error: the client left first, or was cut off as too slow; 499
            # as nginx counts it.
            self.telemetry.answered(scope["path"], status or 499, time.perf_counter() - start)
