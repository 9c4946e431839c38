"""The serving benchmark's load: holdout rows one at a time, with no pause between requests.

``LOAD_ROWS`` names a JSON file of rows; ``BENCH_FORMAT=mlflow`` wraps each row the way MLflow's
scoring server takes it. Any answer but 200 is a failure.
"""

import json
import os
import random
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, task

ROWS = json.loads(Path(os.environ["LOAD_ROWS"]).read_text(encoding="utf-8"))
MLFLOW = os.environ.get("BENCH_FORMAT") == "mlflow"
gevent.get_hub().loop.update_now()  # as in locustfile.py: no import time off --run-time


class Client(FastHttpUser):
    """One row per request, as fast as the server answers."""

    wait_time = constant(0)

    @task
    def predict(self) -> None:
        """Post a random holdout row."""
        row = random.choice(ROWS)
        if MLFLOW:
            self.client.post("/invocations", json={"dataframe_records": [row]})
        else:
            self.client.post("/predict", json=row)
