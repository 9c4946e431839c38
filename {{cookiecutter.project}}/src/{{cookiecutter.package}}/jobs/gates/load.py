"""Gate ``load``: the service, started with the production command, under a Locust load.

The service runs exactly as ``make serve`` runs it, or, with ``SERVICE_TARGET=container``, as
its Docker image runs it under the policy's cgroup limits (``io/server.py``). Locust
(``locustfile.py``) drives it headless for the policy's users and seconds while psutil samples
the CPU and memory of the service's processes. Locust's HTML and CSV reports, the service's log,
its prediction log (synthetic traffic, kept out of the production log that ``make monitor``
judges) and a resource summary go to ``reports/load/``.
"""

import csv
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from ...core import ProjectError
from ...core.gates import GateResult, Table, listing
from ...io import server
from ...io.data import holdout_rows
from ...io.files import write_atomic, write_json
from .. import policy
from ..manifests import limit_problems

REPORTS = Path("reports/load")
LOCUSTFILE = Path("locustfile.py")
COLUMNS = ["measure", "value", "limit", "verdict"]


def check(root: Path) -> GateResult:
    """Start the service, load it, judge latency, throughput, failures, CPU and memory."""
    rules = policy(root)
    limits = rules.gates.load
    target = server.target()
    reports = root / REPORTS
    reports.mkdir(parents=True, exist_ok=True)
    stats, resources = _run(root, rules, reports)
    write_json(reports / "resources.json", resources)

    checks = [  # measure, value, limit, whether the value must stay at or below the limit
        ("p95 latency (ms)", stats["p95_ms"], limits.p95_ms, True),
        ("failure ratio", stats["failure_ratio"], limits.max_failure_ratio, True),
        ("requests per second", stats["rps"], limits.min_rps, False),
        ("peak CPU (%)", resources["peak_cpu_percent"], limits.max_cpu_percent, True),
        ("peak RSS (MB)", resources["peak_rss_mb"], limits.max_rss_mb, True),
    ]
    rows, problems = [], []
    for name, value, limit, at_most in checks:
        good = value <= limit if at_most else value >= limit
        bound = f"{'<=' if at_most else '>='} {limit:g}"
        rows.append([name, value, bound, "pass" if good else "fail"])
        if not good:
            problems.append(f"{name} {value:.4g} misses {bound}")
    # The cluster must hold the service to the limits it was measured against.
    drift = limit_problems(root, rules)
    rows.append(["Kubernetes limits", "differ" if drift else "agree", "policy", _verdict(drift)])
    problems += drift
    figures = {"target": target, "users": limits.users, "seconds": limits.seconds, **stats}
    figures |= {key: resources[key] for key in ("peak_cpu_percent", "mean_cpu_percent")}
    figures["peak_rss_mb"] = resources["peak_rss_mb"]
    table = Table(COLUMNS, rows)
    if problems:
        return GateResult("load", False, f"under load: {listing(problems)}", figures, table)
    reason = (
        f"{limits.users} users for {limits.seconds} s: {stats['rps']:.0f} requests/s, p95 "
        f"{stats['p95_ms']:g} ms, {stats['failures']} failures, peak CPU "
        f"{resources['peak_cpu_percent']:.0f}%, peak RSS {resources['peak_rss_mb']:.0f} MB."
    )
    return GateResult("load", True, reason, figures, table)


def _verdict(problems: list[str]) -> str:
    return "fail" if problems else "pass"


def _run(root: Path, rules, reports: Path) -> tuple[dict, dict]:
    """Start the service, sample it while Locust loads it, stop it: Locust's totals, resources."""
    # Locust's rows, picked before the service starts: Locust then starts in a second.
    write_atomic(reports / "rows.json", json.dumps(holdout_rows(root, rules)))
    service = server.start(root, rules.gates.load, reports / "service.log")
    sampler = None
    try:
        sampler = _sampler(service.pid)
        sampler.start()
        locust = _locust(root, service.port, rules.gates.load, reports)
    finally:
        if sampler is not None:
            sampler.stop()
        service.stop()
    (reports / "locust.log").write_text(locust.stdout + locust.stderr, encoding="utf-8")
    if locust.returncode not in (0, 1):  # 1: the run missed a limit, judged here in detail
        raise ProjectError(f"Locust failed: {server.last_line(locust.stderr)}")
    return _stats(reports / "locust_stats.csv"), sampler.summary()


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
