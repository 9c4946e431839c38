"""Hostile clients against the service, measured: ``make benchmark-hostile``.

Each check starts the service afresh with the production command (``make serve``'s), its
predictions logged in a scratch folder, and prints its figure beside its target:

- a 50 MB body, once declared by Content-Length and once chunked with no length: each answered
  413, and the high-water mark of the server's resident memory (``VmHWM``) grows < 20 MB;
- 500 slow clients, half trickling their headers and half a declared body a byte a second, then
  SIGTERM: the server is gone within its graceful-shutdown timeout (``launcher.UVICORN``);
- a prediction log that cannot be written (``PREDICTION_LOG=/dev/full``): ``/metrics`` counts
  the failed writes and the lost rows, and ``/health`` answers degraded.

A missed target exits 1. Run it in a trained, exported project; Linux only (``/proc``).
"""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package }} import io, jobs, serving

BIG = 50 * 2**20  # bytes a hostile client offers
MAX_GROWTH_MB = 20
SLOW_CLIENTS = 500
TRICKLE_SECONDS = 3  # how long the slow clients trickle before SIGTERM
CHUNK = 64 * 1024


class Server:
    """The service, started as production starts it, on a free loopback port."""

    def __init__(self, root: Path, scratch: Path, prediction_log: str):
        """Start it with ``PREDICTION_LOG=prediction_log``; wait until ``/health`` answers."""
        self.port = io.server.free_port()
        self.output = (scratch / f"server-{self.port}.log").open("w")
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.process = subprocess.Popen(
            serving.launcher.command(Path(sys.prefix)),
            cwd=root,
            env={**env, "PREDICTION_LOG": prediction_log},
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            if _get(self.url("/health"))[0] in (200, 503):
                return
            time.sleep(0.05)
        raise SystemExit(f"the service did not start: see {self.output.name}")

    def url(self, path: str) -> str:
        """The address of ``path``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def peak_mb(self) -> float:
        """The high-water mark of the server's resident memory."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)[1]) / 1024

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 30 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()


def big_bodies(root: Path, scratch: Path, row: dict) -> list[tuple]:
    """A 50 MB body declared, then chunked: statuses and the growth of resident memory."""
    server = Server(root, scratch, str(scratch / "predictions.jsonl"))
    try:
        for _ in range(50):  # warmed up: what a request costs is resident already
            _post(server.url("/predict"), row)
        before = server.peak_mb()
        declared = _send_big(server.port, chunked=False)
        chunked = _send_big(server.port, chunked=True)
        growth = server.peak_mb() - before
        alive = _get(server.url("/health"))[0] == 200
    finally:
        server.stop()
    return [
        ("50 MB body, declared", str(declared), "413", declared == 413),
        ("50 MB body, chunked", str(chunked), "413", chunked == 413),
        (
            "peak RSS growth",
            f"{growth:.1f} MB",
            f"< {MAX_GROWTH_MB} MB",
            growth < MAX_GROWTH_MB and alive,
        ),
    ]


def slow_clients(root: Path, scratch: Path) -> list[tuple]:
    """500 trickling clients, then SIGTERM: the seconds the server takes to end."""
    grace = serving.launcher.UVICORN["timeout_graceful_shutdown"]
    server = Server(root, scratch, str(scratch / "predictions.jsonl"))
    try:
        seconds, code = asyncio.run(_trickle_then_stop(server))
    finally:
        server.stop()
    return [
        (
            f"SIGTERM, {SLOW_CLIENTS} slow clients",
            f"{seconds:.1f} s",
            f"<= {grace} s",
            seconds <= grace and code is not None,
        )
    ]


def failing_log(root: Path, scratch: Path, row: dict) -> list[tuple]:
    """Predictions logged to ``/dev/full``: what ``/metrics`` and ``/health`` say."""
    if not Path("/dev/full").exists():
        raise SystemExit("no /dev/full on this machine")
    server = Server(root, scratch, "/dev/full")
    try:
        answered = [_post(server.url("/predict"), [row, row]) for _ in range(5)]
        time.sleep(4 * serving.prediction_log.PAUSE)  # the writer's batch has been tried
        metrics = _get(server.url("/metrics"))[1]
        status, health = _get(server.url("/health"))
    finally:
        server.stop()
    errors, dropped = _counter(metrics, "errors"), _counter(metrics, "dropped")
    said = json.loads(health).get("status") if status == 200 else f"HTTP {status}"
    return [
        ("predictions answered", f"{answered.count(200)}/5", "5/5", answered.count(200) == 5),
        ("log write errors", f"{errors:g}", ">= 1", errors >= 1),
        ("log rows dropped", f"{dropped:g}", "10", dropped == 10),
        ("/health", str(said), "degraded", said == "degraded"),
    ]


def main() -> int:
    """Run each check, print its figures and targets; 1 when one is missed."""
    root = Path.cwd()
    row = io.data.holdout_rows(root, jobs.policy(root))[0]
    with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
        scratch = Path(folder)
        figures = big_bodies(root, scratch, row)
        figures += slow_clients(root, scratch)
        figures += failing_log(root, scratch, row)
    for name, value, target, met in figures:
        print(f"  {name:28} {value:>10}   (target {target:>9})  {'met' if met else 'MISSED'}")
    return 0 if all(met for *_, met in figures) else 1


def _send_big(port: int, chunked: bool) -> int | None:
    """Offer a 50 MB body until the server answers or closes; its status (None: none)."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    length = b"transfer-encoding: chunked" if chunked else b"content-length: %d" % BIG
    connection.sendall(
        b"POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        + length
        + b"\r\n\r\n"
    )
    piece = b"[" + b" " * (CHUNK - 1)
    if chunked:
        piece = b"%x\r\n%s\r\n" % (len(piece), piece)

    def offer() -> None:
        try:
            for _ in range(BIG // CHUNK):
                connection.sendall(piece)
        except OSError:  # the server closed the connection: it has stopped reading
            pass

    sender = threading.Thread(target=offer, daemon=True)
    sender.start()
    try:
        head = connection.recv(4096)
    except OSError:
        head = b""
    sender.join(30)
    connection.close()
    found = re.match(rb"HTTP/1\.1 (\d{3})", head)
    return int(found[1]) if found else None


async def _trickle_then_stop(server: Server) -> tuple[float, int | None]:
    """Open the slow clients, let them trickle, SIGTERM the server: seconds until it ended."""
    # The bodies first: their requests are in progress when SIGTERM comes (those beyond the
    # service's concurrency limit are refused with 503 at once).
    clients = [asyncio.create_task(_trickle(server.port, body=True))]
    for _ in range(SLOW_CLIENTS // 2 - 1):
        await asyncio.sleep(0.002)
        clients.append(asyncio.create_task(_trickle(server.port, body=True)))
    for _ in range(SLOW_CLIENTS - len(clients)):
        clients.append(asyncio.create_task(_trickle(server.port, body=False)))
    await asyncio.sleep(TRICKLE_SECONDS)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    limit = serving.launcher.UVICORN["timeout_graceful_shutdown"] + 15
    while server.process.poll() is None and time.monotonic() - started < limit:
        await asyncio.sleep(0.05)
    seconds = time.monotonic() - started
    for client in clients:
        client.cancel()
    await asyncio.gather(*clients, return_exceptions=True)
    return seconds, server.process.poll()


async def _trickle(port: int, body: bool) -> None:
    """A client that sends a byte a second: of its headers, or of a declared 1 kB body."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    if body:
        writer.write(b"POST /predict HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n")
    pieces = b"x" * 1000 if body else b"POST /predict HTTP/1.1\r\nhost: x\r\nx-slow: " + b"x" * 900
    try:
        for byte in pieces:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1)
    except OSError:  # the server closed the connection
        pass
    finally:
        writer.close()


def _post(url: str, body) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def _counter(metrics: str, name: str) -> float:
    """The value of the counter ``prediction_log_<name>`` (0 when it is not exposed)."""
    for family in text_string_to_metric_families(metrics):
        if family.name == f"prediction_log_{name}":
            return sum(sample.value for sample in family.samples if sample.name.endswith("_total"))
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
