"""The load gate's verdict: the service's figures against the policy, and the kernel's word.

Latency, throughput, failures, CPU and memory are judged against ``gates.load``; what the kernel
did to the service inside its cgroup (an OOM kill, throttled CPU) is said in words.
``jobs/gates/load.py`` gathers the figures (Locust's totals, sampled resources, the cgroup's
counters); this module only judges them.
"""

from dataclasses import asdict, dataclass
from typing import Any

from .gates import GateResult, Table, listing
from .policy import LoadGate

COLUMNS = ["measure", "value", "limit", "verdict"]
SIGKILL = -9  # a process's return code when SIGKILL ended it


@dataclass
class Confined:
    """How the service was confined, and what the kernel counted while it ran."""

    kind: str  # "cgroup v2", "cgroup v1", "systemd scope", "Docker container"; "" for none
    memory_mb: float
    cpu_percent: float
    oom_kills: int = 0  # processes the kernel's OOM killer ended in the cgroup
    peak_mb: float = 0.0  # the most memory the kernel charged to the cgroup
    periods: int = 0  # CPU quota periods in which the service wanted to run
    throttled_periods: int = 0  # ... of which it was stopped for having used its quota
    throttled_seconds: float = 0.0
    why_not: str = ""  # when not confined: why no cgroup could be made

    def words(self) -> str:
        """``confined by a cgroup v1 to 400 MB and 120% CPU``, or why it was not."""
        if not self.kind:
            return f"measured without confinement: {self.why_not}"
        peak = f", peak {self.peak_mb:.0f} MB charged to it" if self.peak_mb else ""
        return (
            f"confined by a {self.kind} to {self.memory_mb:g} MB and {self.cpu_percent:g}% CPU"
            + peak
        )


@dataclass
class Ended:
    """The service ended by itself (or by the kernel) before the gate stopped it."""

    returncode: int | None  # None where unknown (a container's)
    seconds: float  # after the start of its phase
    phase: str  # "startup" or "load"


def ending(ended: Ended, confined: Confined) -> str:
    """Why the service ended, in words: the kernel's OOM kill at the limit, a signal, a status."""
    after = f"after {ended.seconds:.1f} s of {ended.phase}"
    if confined.oom_kills or (ended.returncode == SIGKILL and confined.kind):
        return (
            f"the service was killed by the kernel at its {confined.memory_mb:g} MB limit {after}"
        )
    if ended.returncode is None:
        return f"the service stopped {after}"
    if ended.returncode < 0:
        return f"the service was killed by signal {-ended.returncode} {after}"
    return f"the service exited with status {ended.returncode} {after}"


def throttling(confined: Confined) -> str:
    """How often the kernel held the service's CPU at its quota ("" when it never did)."""
    if not confined.throttled_periods:
        return ""
    return (
        f"the kernel throttled its CPU at {confined.cpu_percent:g}% in "
        f"{confined.throttled_periods} of {confined.periods} periods "
        f"({confined.throttled_seconds:.1f} s held back)"
    )


def held(confined: Confined) -> str:
    """What the cgroup held the service to, and any throttling by the kernel, in words."""
    return "; ".join(part for part in (confined.words(), throttling(confined)) if part)


def verdict(
    limits: LoadGate,
    stats: dict[str, Any] | None,
    resources: dict[str, Any] | None,
    confined: Confined,
    ended: Ended | None = None,
    drift: tuple[str, ...] | list[str] = (),
) -> GateResult:
    """The gate's result; ``stats`` and ``resources`` are None when the service never got load.

    ``stats``: Locust's totals (``p95_ms``, ``failure_ratio``, ``rps``, ``failures``);
    ``resources``: ``peak_cpu_percent``, ``peak_rss_mb``; ``drift``: where the Kubernetes
    manifest departs from the policy.
    """
    rows, problems = [], []
    if ended is not None:
        problems.append(ending(ended, confined))
    if stats is not None and resources is not None:
        checks = [  # measure, value, limit, whether the value must stay at or below the limit
            ("p95 latency (ms)", stats["p95_ms"], limits.p95_ms, True),
            ("failure ratio", stats["failure_ratio"], limits.max_failure_ratio, True),
            ("requests per second", stats["rps"], limits.min_rps, False),
            ("peak CPU (%)", resources["peak_cpu_percent"], limits.max_cpu_percent, True),
            ("peak RSS (MB)", resources["peak_rss_mb"], limits.max_rss_mb, True),
        ]
        for name, value, limit, at_most in checks:
            good = value <= limit if at_most else value >= limit
            bound = f"{'<=' if at_most else '>='} {limit:g}"
            rows.append([name, value, bound, "pass" if good else "fail"])
            if not good:
                problems.append(f"{name} {value:.4g} misses {bound}")
    # The cluster must hold the service to the limits it was measured against.
    rows.append(["Kubernetes limits", "differ" if drift else "agree", "policy", _mark(drift)])
    problems += drift
    kernel = held(confined)
    rows.append(["confinement", confined.kind or "none", "policy limits", "-"])
    figures = {"users": limits.users, "seconds": limits.seconds, **(stats or {})}
    if resources is not None:
        figures |= {key: resources[key] for key in ("peak_cpu_percent", "peak_rss_mb")}
        figures["mean_cpu_percent"] = resources.get("mean_cpu_percent")
    figures["confinement"] = asdict(confined)
    figures["ended"] = None if ended is None else asdict(ended)
    table = Table(COLUMNS, rows)
    if problems or stats is None or resources is None:
        where = "under load" if stats is not None else "at startup"
        return GateResult(
            "load", False, f"{where}: {listing(problems)} ({kernel}).", figures, table
        )
    reason = (
        f"{limits.users} users for {limits.seconds} s: {stats['rps']:.0f} requests/s, p95 "
        f"{stats['p95_ms']:g} ms, {stats['failures']} failures, peak CPU "
        f"{resources['peak_cpu_percent']:.0f}%, peak RSS {resources['peak_rss_mb']:.0f} MB; "
        f"{kernel}."
    )
    return GateResult("load", True, reason, figures, table)


def _mark(problems: object) -> str:
    return "fail" if problems else "pass"
