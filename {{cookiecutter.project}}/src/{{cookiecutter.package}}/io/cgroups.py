"""The kernel's confinement of a local service: a cgroup holding the policy's memory and CPU.

``create`` tries, in order: cgroup v2, in a subtree of this process's cgroup delegated to it
(writable, with the memory and cpu controllers); cgroup v1 hierarchies (``memory`` and ``cpu``,
writable as root where they are mounted), each under this process's own cgroup; ``systemd-run
--scope`` where systemd runs; else nothing, and the ``Cell`` says why. ``Cell.wrap`` prefixes the
service's command so that the service is in the cgroup before its first instruction (``sh``
writes its own pid there, then execs the command), and ``Cell.close`` reads what the kernel
counted (OOM kills, throttled CPU periods) and removes the cgroup.
"""

import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.load import Confined
from ..core.policy import LoadGate

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000  # the CPU quota's period: the kernel's default, 0.1 s


@dataclass
class Cell:
    """A cgroup made for one run of the service (or none), and how to read and remove it."""

    kind: str  # as ``Confined.kind``; "" when none could be made
    memory_mb: float
    cpu_percent: float
    directories: list[Path] = field(default_factory=list)
    prefix: list[str] = field(default_factory=list)  # systemd-run's, when it confines
    why_not: str = ""

    def wrap(self, command: list[str]) -> list[str]:
        """``command``, started inside this cgroup."""
        if not self.directories:
            return [*self.prefix, *command]
        joins = " && ".join(
            f"echo $$ > {shlex.quote(str(d / 'cgroup.procs'))}" for d in self.directories
        )
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *command]

    def close(self) -> Confined:
        """What the kernel counted, once the service has ended; the cgroup is removed."""
        confined = Confined(self.kind, self.memory_mb, self.cpu_percent, why_not=self.why_not)
        for directory in self.directories:
            _count(directory, confined)
        for directory in reversed(self.directories):
            _remove(directory)
        return confined


def create(name: str, limits: LoadGate) -> Cell:
    """A cgroup called ``name`` with the policy's memory and CPU, of the first kind that works."""
    memory, cpu = limits.max_rss_mb, limits.max_cpu_percent
    reasons = []
    for attempt in (_v2, _v1, _systemd):
        cell, why_not = attempt(name, memory, cpu)
        if cell is not None:
            return cell
        reasons.append(why_not)
    return Cell("", memory, cpu, why_not="; ".join(reasons))


def _v2(name: str, memory: float, cpu: float) -> tuple[Cell | None, str]:
    if not (ROOT / "cgroup.controllers").exists():
        return None, "no cgroup v2 hierarchy at /sys/fs/cgroup"
    parent = ROOT / _own_path("")
    wanted = {"memory", "cpu"}
    try:
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        if not wanted <= enabled:
            (parent / "cgroup.subtree_control").write_text("+memory +cpu")
        directory = parent / name
        directory.mkdir()
    except OSError as error:
        return None, f"cgroup v2 not delegated here ({error.strerror})"
    try:
        (directory / "memory.max").write_text(str(_bytes(memory)))
        (directory / "memory.swap.max").write_text("0")
        (directory / "cpu.max").write_text(f"{_quota(cpu)} {PERIOD_US}")
    except OSError as error:
        _remove(directory)
        return None, f"cgroup v2 limits refused ({error.strerror})"
    return Cell("cgroup v2", memory, cpu, [directory]), ""


def _v1(name: str, memory: float, cpu: float) -> tuple[Cell | None, str]:
    if not ((ROOT / "memory").is_dir() and (ROOT / "cpu").is_dir()):
        return None, "no cgroup v1 memory and cpu hierarchies"
    made = []
    try:
        for controller in ("memory", "cpu"):
            directory = ROOT / controller / _own_path(controller) / name
            directory.mkdir()
            made.append(directory)
        limit = str(_bytes(memory))
        (made[0] / "memory.limit_in_bytes").write_text(limit)
        if (made[0] / "memory.memsw.limit_in_bytes").exists():  # no swap beyond the limit
            (made[0] / "memory.memsw.limit_in_bytes").write_text(limit)
        (made[1] / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (made[1] / "cpu.cfs_quota_us").write_text(str(_quota(cpu)))
    except OSError as error:
        for directory in reversed(made):
            _remove(directory)
        return None, f"cgroup v1 not writable here ({error.strerror})"
    return Cell("cgroup v1", memory, cpu, made), ""


def _systemd(name: str, memory: float, cpu: float) -> tuple[Cell | None, str]:
    if not (Path("/run/systemd/system").is_dir() and shutil.which("systemd-run")):
        return None, "no systemd to run a scope"
    prefix = ["systemd-run", "--scope", "--quiet", "--collect", f"--unit={name}"]
    prefix += ["-p", f"MemoryMax={_bytes(memory)}", "-p", "MemorySwapMax=0"]
    prefix += ["-p", f"CPUQuota={cpu:g}%", "--"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None, f"systemd-run refused a scope ({probe.stderr.strip()[:80]})"
    return Cell("systemd scope", memory, cpu, prefix=prefix), ""


def _own_path(controller: str) -> str:
    """This process's cgroup in ``controller``'s hierarchy ("" for v2), relative to its root."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):  # v2's line has no controllers: ""
            return path.lstrip("/")
    return ""


def _count(directory: Path, confined: Confined) -> None:
    """Add the kernel's counters in ``directory`` to ``confined``."""
    events = _fields(directory / "memory.events") | _fields(directory / "memory.oom_control")
    confined.oom_kills += events.get("oom_kill", 0)
    for name in ("memory.max_usage_in_bytes", "memory.peak"):  # v1, v2 (Linux 5.19+)
        peak = _number(directory / name)
        confined.peak_mb = max(confined.peak_mb, peak / 2**20)
    cpu = _fields(directory / "cpu.stat")
    confined.periods += cpu.get("nr_periods", 0)
    confined.throttled_periods += cpu.get("nr_throttled", 0)
    confined.throttled_seconds += cpu.get("throttled_time", 0) / 1e9  # v1: nanoseconds
    confined.throttled_seconds += cpu.get("throttled_usec", 0) / 1e6  # v2: microseconds


def _fields(path: Path) -> dict[str, int]:
    """A kernel file of ``key value`` lines (missing: empty)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.split() for line in lines)
    return {pair[0]: int(pair[1]) for pair in pairs if len(pair) == 2 and pair[1].isdigit()}


def _number(path: Path) -> int:
    """A kernel file holding one number (missing: 0)."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _remove(directory: Path, attempts: int = 20) -> None:
    """Remove an emptied cgroup; its last processes may take a moment to be reaped."""
    for _ in range(attempts):
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)


def _bytes(megabytes: float) -> int:
    return int(megabytes * 2**20)  # the policy's MB are psutil's and Kubernetes' MiB


def _quota(percent: float) -> int:
    return max(1000, int(percent / 100 * PERIOD_US))  # the kernel takes at least 1 ms
