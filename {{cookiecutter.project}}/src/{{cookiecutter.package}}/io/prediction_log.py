"""The prediction log: every prediction's id, time, model version, features and output.

Entries are handed to a bounded queue and written as JSON lines by a background thread, so
writing never slows or fails a request: when the queue is full the entries are dropped and
counted. ``PREDICTION_LOG`` chooses where they go: a file path (by default
``logs/predictions.jsonl``, rotated at ``max_bytes`` with ``backups`` older files kept), ``-``
for standard output (where a container's log collector ships them elsewhere), or ``off``.
"""

import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT = Path("logs/predictions.jsonl")
CAPACITY = 10_000  # queued requests; beyond this, entries are dropped and counted
PAUSE = 0.05  # seconds the writer waits after emptying the queue


class PredictionLog:
    """A JSON-lines sink fed through a bounded queue by a daemon thread."""

    def __init__(
        self,
        target: str | Path,
        capacity: int = CAPACITY,
        max_bytes: int = 50 * 2**20,
        backups: int = 5,
        on_drop: Callable[[int], None] = lambda count: None,
    ):
        """Log to ``target`` (a path, or ``-`` for standard output); call ``start()`` to run."""
        self.target = target
        self.max_bytes = max_bytes
        self.backups = backups
        self.on_drop = on_drop
        self.dropped = 0
        self._queue: queue.Queue = queue.Queue(maxsize=capacity)
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)

    def start(self) -> "PredictionLog":
        """Start writing."""
        if self.target != "-":
            Path(self.target).parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def write(self, request: dict, rows: list, outputs: list[dict]) -> None:
        """Queue one request's entries; never waits. ``rows`` are pydantic rows."""
        try:
            self._queue.put_nowait((request, rows, outputs))
        except queue.Full:
            self.dropped += len(rows)
            self.on_drop(len(rows))

    def close(self, timeout: float = 10) -> None:
        """Write what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _drain(self) -> None:
        handle = sys.stdout if self.target == "-" else self._open()
        while (item := self._queue.get()) is not None:
            request, rows, outputs = item
            lines = [
                json.dumps(
                    {
                        **request,
                        "id": f"{request['request_id']}-{index}",
                        "features": row.model_dump(),
                        "output": output,
                    },
                    separators=(",", ":"),
                )
                for index, (row, output) in enumerate(zip(rows, outputs))
            ]
            handle.write("\n".join(lines) + "\n")
            if self._queue.empty():
                handle.flush()
                # Let entries gather: one wake-up and one write per batch, not per request.
                time.sleep(PAUSE)
            if handle is not sys.stdout and handle.tell() >= self.max_bytes:
                handle.close()
                self._rotate()
                handle = self._open()
        handle.flush()
        if handle is not sys.stdout:
            handle.close()

    def _open(self):
        return open(self.target, "a", encoding="utf-8")

    def _rotate(self) -> None:
        path = Path(self.target)
        for number in range(self.backups - 1, 0, -1):
            older = path.with_name(f"{path.name}.{number}")
            if older.exists():
                os.replace(older, path.with_name(f"{path.name}.{number + 1}"))
        os.replace(path, path.with_name(f"{path.name}.1"))


def from_environment(root: Path, on_drop: Callable[[int], None]) -> PredictionLog | None:
    """The log ``PREDICTION_LOG`` asks for, started; None when it says ``off``."""
    choice = os.environ.get("PREDICTION_LOG") or str(DEFAULT)
    if choice == "off":
        return None
    target = choice if choice == "-" else root / choice
    return PredictionLog(target, on_drop=on_drop).start()
