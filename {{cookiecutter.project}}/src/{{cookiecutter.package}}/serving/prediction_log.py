"""The prediction log: every prediction's id, time, model version, features and output.

Entries are handed to a queue bounded in rows and written as JSON lines by a background thread,
so writing never slows or fails a request: rows beyond the bound are dropped and counted. A
write that fails (a full disk, a target that refuses) loses its rows, counted as dropped; the
thread counts the error, keeps its message for ``/health`` and goes on with the next batch.
``PREDICTION_LOG`` chooses where they go: a file path (by default ``logs/predictions.jsonl``,
rotated at ``max_bytes`` with ``backups`` older files kept), ``-`` for standard output (where a
container's log collector ships them elsewhere), or ``off``.

The standard library's handlers do the writing: ``RotatingFileHandler`` (rotation, reopening)
or ``StreamHandler``. Its ``QueueHandler`` does not fit: it formats each record in the caller
(the event loop), and its queue counts records, not rows, reporting a full one as a traceback.
"""

import logging
import logging.handlers
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic_core import to_json

DEFAULT = Path("logs/predictions.jsonl")
CAPACITY = 10_000  # rows queued or being written; beyond this, rows are dropped and counted
PAUSE = 0.05  # seconds the writer waits after a batch, so that the next one gathers


class Raising:
    """A handler mixin: a failed write raises to the caller, instead of printing a traceback."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """Re-raise the error being handled (``emit`` calls this from its ``except``)."""
        raise


class RotatingFile(Raising, logging.handlers.RotatingFileHandler):
    """A JSON-lines file rotated at a size, whose failed writes raise."""


class Stream(Raising, logging.StreamHandler):
    """Standard output, whose failed writes raise."""


class PredictionLog:
    """A JSON-lines sink fed through a queue bounded in rows by a daemon thread."""

    def __init__(
        self,
        target: str | Path,
        capacity: int = CAPACITY,
        max_bytes: int = 50 * 2**20,
        backups: int = 5,
        on_drop: Callable[[int], None] = lambda count: None,
        on_error: Callable[[], None] = lambda: None,
    ):
        """Log to ``target`` (a path, or ``-`` for standard output); call ``start()`` to run."""
        self.target = target
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.backups = backups
        self.on_drop = on_drop
        self.on_error = on_error
        self.dropped = 0
        self.errors = 0
        self.failing: str | None = None  # why the last write failed, until one succeeds
        self._rows = 0  # rows queued or being written
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)

    def start(self) -> "PredictionLog":
        """Start writing."""
        if self.target == "-":
            self._handler: logging.Handler = Stream(sys.stdout)
        else:
            Path(self.target).parent.mkdir(parents=True, exist_ok=True)
            self._handler = RotatingFile(
                self.target, maxBytes=self.max_bytes, backupCount=self.backups, delay=True
            )
        self._handler.terminator = "\n"
        self._thread.start()
        return self

    def write(self, request: dict, rows: list, outputs: list[dict]) -> None:
        """Queue one request's entries; never waits. ``rows`` are pydantic rows."""
        count = len(rows)
        with self._lock:
            fits = self._rows + count <= self.capacity
            if fits:
                self._rows += count
        if fits:
            self._queue.put((request, rows, outputs))
        else:
            self._drop(count)

    @property
    def writing(self) -> bool:
        """Whether the writer thread runs."""
        return self._thread.is_alive()

    def close(self, timeout: float = 10) -> None:
        """Write what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _drop(self, count: int) -> None:
        with self._lock:  # the event loop and the writer both drop
            self.dropped += count
        self.on_drop(count)

    def _drain(self) -> None:
        closing = False
        while not closing:
            batch = [self._queue.get()]
            while batch[-1] is not None and not self._queue.empty():
                batch.append(self._queue.get())
            closing = batch[-1] is None
            entries = [item for item in batch if item is not None]
            if entries:
                self._write(entries)
                if not closing:
                    # Let entries gather: one wake-up and one write per batch, not per request.
                    time.sleep(PAUSE)
        try:
            self._handler.close()
        except (OSError, ValueError):  # a buffer that could not be flushed: already counted
            pass

    def _write(self, entries: list[tuple]) -> None:
        """Write one batch; a failure loses its rows, counted, and the writer goes on."""
        count = sum(len(rows) for _, rows, _ in entries)
        try:
            text = b"\n".join(line for entry in entries for line in _lines(*entry))
            self._handler.handle(logging.makeLogRecord({"msg": text.decode()}))
            self.failing = None
        except Exception as error:  # whatever it is, the thread must live and count it
            self.failing = f"the prediction log cannot be written: {error}"
            self.errors += 1
            self.on_error()
            self._drop(count)
            self._reopen()
        with self._lock:
            self._rows -= count

    def _reopen(self) -> None:
        """After a failed write, open the file afresh next time: no half-flushed buffer kept."""
        if isinstance(self._handler, RotatingFile) and self._handler.stream is not None:
            stream, self._handler.stream = self._handler.stream, None  # reopened by the next write
            try:
                stream.close()
            except (OSError, ValueError):
                pass


def _lines(request: dict, rows: list, outputs: list[dict]):
    """One JSON line per row of a request: the request's fields, the row's id, features, output.

    Each line in one call of pydantic's compiled encoder. A row's features are its fields'
    values (``vars``): encoded as a plain dictionary, a quarter cheaper than as a model.
    """
    prefix = request["request_id"]
    for index, (row, output) in enumerate(zip(rows, outputs)):
        line = {**request, "id": f"{prefix}-{index}", "features": vars(row), "output": output}
        yield to_json(line)


def from_environment(
    root: Path, on_drop: Callable[[int], None], on_error: Callable[[], None] = lambda: None
) -> PredictionLog | None:
    """The log ``PREDICTION_LOG`` asks for, started; None when it says ``off``."""
    choice = os.environ.get("PREDICTION_LOG") or str(DEFAULT)
    if choice == "off":
        return None
    target = choice if choice == "-" else root / choice
    return PredictionLog(target, on_drop=on_drop, on_error=on_error).start()
