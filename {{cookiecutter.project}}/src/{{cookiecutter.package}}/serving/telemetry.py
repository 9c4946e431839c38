"""Prometheus metrics of the service, served at ``GET /metrics``.

Requests by endpoint and status with their latency, the predictions' distribution (class
counts, or a histogram of values), dropped prediction-log entries and failed writes of the log;
every series carries the model version. Each app has its own registry, so apps in one process
never collide.

A request's figures are counted in plain integers and collected when ``/metrics`` is read
(prometheus-client's custom-collector interface): the requests, their predictions and the
scrape all run on the event loop's one thread, so no lock is needed, where prometheus-client's
own metrics take one, and look up their series, on every increment (a measurable share of a
request's time). The prediction log's counters change on its writer thread: they are
prometheus-client's own, locked.
"""

import time
from bisect import bisect_left
from collections.abc import Iterator

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from .guard import Bounded

ENDPOINTS = ("/predict", "/health", "/metadata", "/metrics")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# prometheus-client's default buckets, without +Inf (every histogram here adds it).
VALUE_BUCKETS = prometheus_client.Histogram.DEFAULT_BUCKETS[:-1]


class Histogram:
    """Observations counted in buckets with upper bounds ``bounds``, and their sum."""

    def __init__(self, bounds: tuple[float, ...]):
        """Empty buckets for ``bounds`` (ascending), and one above them."""
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        """Count ``value`` in the first bucket whose bound is at least it."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        """Cumulative counts by upper bound, as Prometheus takes them (``+Inf`` last)."""
        running = 0
        cumulative: list[tuple[str, float]] = []
        for bound, count in zip((*self.bounds, float("inf")), self.counts):
            running += count
            cumulative.append((floatToGoString(bound), running))
        return cumulative


class Telemetry:
    """The service's metrics."""

    def __init__(self, task: str, version: str, value_buckets: tuple[float, ...] = ()):
        """Metrics for a ``task`` model of ``version``; ``value_buckets`` for regression."""
        self.version = version
        # Endpoints, statuses and classes are few: these dictionaries stay small.
        self.requests: dict[tuple[str, int], int] = {}
        self.latency: dict[str, Histogram] = {}
        self.labels: dict[str, int] | None = {} if task != "regression" else None
        self.values = Histogram(value_buckets or VALUE_BUCKETS) if task == "regression" else None
        self.registry = CollectorRegistry()
        self.registry.register(self)
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

    def answered(self, path: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        endpoint = path if path in ENDPOINTS else "other"
        key = (endpoint, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        latency = self.latency.get(endpoint)
        if latency is None:
            latency = self.latency[endpoint] = Histogram(LATENCY_BUCKETS)
        latency.observe(seconds)

    def predicted(self, outputs: list[dict]) -> None:
        """Count a request's predictions."""
        labels, values = self.labels, self.values
        if values is not None:
            for output in outputs:
                values.observe(output["value"])
        if labels is not None:
            for output in outputs:
                label = output["label"]
                labels[label] = labels.get(label, 0) + 1

    def collect(self) -> Iterator[Metric]:
        """The request and prediction metrics as they stand (the registry calls this)."""
        version = self.version
        requests = CounterMetricFamily(
            "service_requests",
            "Requests answered, by endpoint and status.",
            labels=["endpoint", "status", "model_version"],
        )
        for (endpoint, status), count in sorted(self.requests.items()):
            requests.add_metric([endpoint, str(status), version], count)
        yield requests
        latency = HistogramMetricFamily(
            "service_request_seconds",
            "Time to answer a request, by endpoint.",
            labels=["endpoint", "model_version"],
        )
        for endpoint, histogram in sorted(self.latency.items()):
            latency.add_metric([endpoint, version], histogram.buckets(), histogram.total)
        yield latency
        if self.labels is not None:
            predictions = CounterMetricFamily(
                "predictions",
                "Predicted rows, by predicted label.",
                labels=["label", "model_version"],
            )
            for label, count in sorted(self.labels.items()):
                predictions.add_metric([label, version], count)
            yield predictions
        if self.values is not None:
            values = HistogramMetricFamily(
                "prediction_value", "Predicted values.", labels=["model_version"]
            )
            values.add_metric([version], self.values.buckets(), self.values.total)
            yield values

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


class Measured(Bounded):
    """ASGI middleware: ``Bounded``'s body limit, and every HTTP request timed and counted.

    One middleware rather than two in a row: each layer is entered by every request, and again
    on each of its sends and when it resumes after waiting for the model. Counted under
    valgrind, the second layer cost 15,000 instructions a request, 3 % of the service's.
    """

    def __init__(self, app, max_bytes: int, telemetry: Telemetry):
        """Wrap ``app``: bodies within ``max_bytes``, requests counted in ``telemetry``."""
        super().__init__(app, max_bytes)
        self.telemetry = telemetry

    async def __call__(self, scope, receive, send):
        """Pass the request on, noting the status it was answered with (413s included)."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 0

        def sending(message):  # returns send's awaitable: no coroutine of its own per send
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            return send(message)

        try:
            replay = await self.read(scope, receive, sending)
            if replay is not None:
                await self.app(scope, replay, sending)
        except BaseException:
            status = status or 500  # the server's error handler, outside, answers 500
            raise
        finally:
            # No answer and no error: the client left first, or was cut off as too slow; 499
            # as nginx counts it.
            self.telemetry.answered(scope["path"], status or 499, time.perf_counter() - start)
