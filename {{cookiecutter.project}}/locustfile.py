"""Load for the prediction service: holdout rows, and ~5% malformed rows that must get 422.

``make gate-load`` runs it headless against the service it starts, and judges the result.
``make loadtest`` runs it against a service you started: Locust's web UI, or its own options
and ``LOCUST_*`` variables; start that service with ``PREDICTION_LOG=off make serve`` (or a
scratch path), or its synthetic predictions land in the production log that ``make monitor``
judges. Either way the run exits 1 when it misses the policy's p95 latency or failure ratio
(``gates.load`` in ``policy.yaml``).
"""

import json
import os
import random
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task
from locust.runners import WorkerRunner

from {{ cookiecutter.package }} import core, io

ROOT = Path(__file__).resolve().parent
RULES = core.policy.load_policy(ROOT / "policy.yaml")
FEATURES = io.dataset.load_schema(ROOT, RULES).features(exclude=RULES.data.excluded_features)
MALFORMED_SHARE = float(os.environ.get("LOAD_MALFORMED_SHARE", "0.05"))


def holdout() -> list[dict]:
    """Holdout rows: from the JSON file ``LOAD_ROWS`` names (the gate writes one), else the data."""
    if os.environ.get("LOAD_ROWS"):
        return json.loads(Path(os.environ["LOAD_ROWS"]).read_text(encoding="utf-8"))

    return io.data.holdout_rows(ROOT, RULES)


ROWS = holdout()
# gevent's loop reads its clock once per turn, and none has run since Locust was imported: the
# time these imports took would otherwise be taken off --run-time (seconds of a 10 s load).
gevent.get_hub().loop.update_now()


def malformed(row: dict) -> dict:
    """``row`` broken one way the service must reject: a field missing, mistyped or unknown."""
    broken = dict(row)
    column = random.choice(FEATURES)
    way = random.randrange(3)
    if way == 0:
        del broken[column.name]
    elif way == 1:
        broken[column.name] = "?" if column.kind != "category" else 0
    else:
        broken["unexpected"] = 1
    return broken


class Client(FastHttpUser):
    """A client that sends one row at a time, with no pause between requests."""

    wait_time = constant(0)

    @task
    def predict(self) -> None:
        """Predict a holdout row; a malformed one counts as a success only when it gets 422."""
        row = random.choice(ROWS)
        if random.random() < MALFORMED_SHARE:
            body, expected, name = malformed(row), 422, "/predict malformed"
        else:
            body, expected, name = row, 200, "/predict"
        with self.client.post("/predict", json=body, name=name, catch_response=True) as response:
            if response.status_code == expected:
                response.success()
            else:
                response.failure(f"expected {expected}, got {response.status_code}")


@events.quitting.add_listener
def judge(environment, **kwargs) -> None:
    """Set the exit code from the policy's limits: Locust itself checks no latency."""
    if isinstance(environment.runner, WorkerRunner):
        return
    limits, total = RULES.gates.load, environment.stats.total
    p95 = total.get_response_time_percentile(0.95) or 0
    missed = total.fail_ratio > limits.max_failure_ratio or p95 > limits.p95_ms
    environment.process_exit_code = 1 if missed else 0
