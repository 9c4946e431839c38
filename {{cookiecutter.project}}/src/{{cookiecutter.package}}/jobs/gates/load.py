"""Gate ``load``: the service, started with the production command, under a Locust load.

The service runs exactly as ``make serve`` runs it, inside a cgroup holding the policy's memory
and CPU (``io/cgroups.py``: v2, v1 or a systemd scope, whichever this machine allows), or, with
``SERVICE_TARGET=container``, as its Docker image runs it under the same limits
(``io/server.py``). Locust (``locustfile.py``) drives it headless for the policy's users and
seconds while psutil samples the CPU and memory of the service's processes; the verdict
(``core/load.py``) names the confinement, and an OOM kill or CPU throttling by the kernel, in
words. Locust's HTML and CSV reports, the service's log, its prediction log (synthetic traffic,
kept out of the production log that ``make monitor`` judges) and a resource summary go to
``reports/load/``.
"""

import csv
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from ...core import ProjectError
from ...core.gates import GateResult
from ...core.load import Confined, Ended, verdict
from ...io import server
from ...io.data import holdout_rows
from ...io.files import write_atomic, write_json
from .. import policy
from ..manifests import limit_problems

REPORTS = Path("reports/load")
LOCUSTFILE = Path("locustfile.py")


def check(root: Path) -> GateResult:
    """Start the service confined, load it, judge latency, throughput, failures, CPU, memory."""
    rules = policy(root)
    limits = rules.gates.load
    reports = root / REPORTS
    reports.mkdir(parents=True, exist_ok=True)
    drift = limit_problems(root, rules)
    # Locust's rows, picked before the service starts: Locust then starts in a second.
    write_atomic(reports / "rows.json", json.dumps(holdout_rows(root, rules)))
    try:
        service = server.start(root, limits, reports / "service.log")
    except server.Stopped as stopped:
        ended = Ended(stopped.returncode, stopped.seconds, "startup")
        confined = stopped.confined or Confined("", limits.max_rss_mb, limits.max_cpu_percent)
        return verdict(limits, None, None, confined, ended, drift)
    stats, resources, ended = _run(root, rules, reports, service)
    write_json(reports / "resources.json", resources)
    result = verdict(limits, stats, resources, service.confined(), ended, drift)
    result.figures |= {"target": server.target(), "ready_seconds": service.ready_seconds}
    return result


def _run(root: Path, rules, reports: Path, service: server.Service) -> tuple:
    """Sample the service while Locust loads it, stop it: Locust's totals, resources, its end."""
    sampler, loaded = None, time.monotonic()
    try:
        sampler = _sampler(service.pid)
        sampler.start()
        locust = _locust(root, service.port, rules.gates.load, reports)
    finally:
        if sampler is not None:
            sampler.stop()
        ended = service.ended()  # before the gate stops it: did it end by itself?
        service.stop()
    (reports / "locust.log").write_text(locust.stdout + locust.stderr, encoding="utf-8")
    if locust.returncode not in (0, 1):  # 1: the run missed a limit, judged here in detail
        raise ProjectError(f"Locust failed: {server.last_line(locust.stderr)}")
    stopped = None
    if ended is not None:
        returncode, when = ended
        stopped = Ended(returncode, max(0.0, when - loaded), "load")
    return _stats(reports / "locust_stats.csv"), sampler.summary(), stopped


def _locust(root: Path, port: int, limits, reports: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "locust",
        "--locustfile",
        str(root / LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--users",
        str(limits.users),
        "--spawn-rate",
        str(limits.spawn_rate),
        "--run-time",
        f"{limits.seconds}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(reports / "locust"),
        "--html",
        str(reports / "locust.html"),
    ]
    if limits.workers > 1:
        command += ["--processes", str(limits.workers)]
    env = {**os.environ, "LOAD_ROWS": str(reports / "rows.json")}
    try:
        return subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=limits.seconds + 120
        )
    except subprocess.TimeoutExpired:
        raise ProjectError(f"Locust did not finish within {limits.seconds + 120} s") from None


def _stats(path: Path) -> dict:
    """The aggregated row of Locust's ``*_stats.csv``."""
    with path.open(encoding="utf-8", newline="") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    if not requests:
        raise ProjectError("Locust sent no request: see reports/load/locust.log")
    return {
        "requests": requests,
        "failures": failures,
        "failure_ratio": failures / requests,
        "rps": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
    }


def _sampler(pid: int) -> "Sampler":
    import psutil

    try:
        return Sampler(pid)
    except psutil.Error as error:  # e.g. a container's process not visible from here
        raise ProjectError(f"cannot watch the service's process {pid}: {error}") from None


class Sampler(threading.Thread):
    """CPU and resident memory of a process and all its children, sampled every half second."""

    def __init__(self, pid: int, every: float = 0.5):
        """Watch process ``pid``; ``start()`` begins sampling, ``stop()`` ends it."""
        import psutil

        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, float]] = []
        self._known: dict = {}
        self._done = threading.Event()
        self._sample()  # psutil measures CPU since the previous call: this one sets the start

    def run(self) -> None:
        """Sample until stopped."""
        while not self._done.wait(self.every):
            self.samples.append(self._sample())

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._done.set()
        self.join()

    def summary(self) -> dict:
        """Peaks and mean, with every sample (CPU: 100 is one core busy)."""
        cpu = [round(value, 1) for value, _ in self.samples]
        rss = [round(value, 1) for _, value in self.samples]
        return {
            "every_seconds": self.every,
            "peak_cpu_percent": max(cpu, default=0.0),
            "mean_cpu_percent": round(sum(cpu) / len(cpu), 1) if cpu else 0.0,
            "peak_rss_mb": max(rss, default=0.0),
            "cpu_percent": cpu,
            "rss_mb": rss,
        }

    def _sample(self) -> tuple[float, float]:
        import psutil

        cpu = rss = 0.0
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return cpu, rss
        for process in processes:
            known = self._known.setdefault(process.pid, process)
            try:
                cpu += known.cpu_percent()
                rss += known.memory_info().rss / 2**20
            except psutil.Error:
                continue
        return cpu, rss
