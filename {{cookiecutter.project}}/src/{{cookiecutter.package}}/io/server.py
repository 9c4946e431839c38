"""Start the prediction service the way production runs it, and stop it.

``SERVICE_TARGET`` chooses how: ``process`` (the default) runs exactly ``make serve``'s command
inside a cgroup holding the policy's memory and CPU (``io/cgroups.py``), when one can be made;
``container`` builds the Docker image ``SERVICE_IMAGE`` from the Dockerfile (a cache hit when it
was just built) and runs it with the policy's memory and CPU as cgroup limits. Nothing else
differs: the load gate and the release smoke test call ``start`` and talk HTTP to the port.
Their traffic is synthetic: a process logs its predictions beside its output
(``PREDICTION_LOG``), never into the production log that ``make monitor`` judges.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import PROJECT
from ..core import ProjectError
from ..core.kubernetes import PORT
from ..core.load import Confined
from ..core.policy import LoadGate
from ..serving.launcher import command
from . import cgroups

IMAGE = f"{PROJECT}:local"
STARTUP_SECONDS = 60
NO_DAEMON = "Cannot connect to the Docker daemon"
NOTICES = ("DEPRECATED:", "WARNING:", " ")  # Docker's notices about itself, and their lines


@dataclass
class Service:
    """A started service: its port, its root process id, and how to watch and stop it."""

    port: int
    pid: int
    running: Callable[[], bool]
    stop: Callable[[], None]
    last_words: Callable[[], str]
    # Once stopped: how it was confined, and what the kernel counted meanwhile.
    confined: Callable[[], Confined]
    # Its return code (None where unknown) and when (time.monotonic()) it ended, if it has.
    ended: Callable[[], tuple[int | None, float] | None] = lambda: None
    ready_seconds: float = 0.0  # from start to a healthy /health

    def url(self, path: str) -> str:
        """The address of ``path`` on this service."""
        return f"http://127.0.0.1:{self.port}{path}"


def target() -> str:
    """``process`` or ``container``, from ``SERVICE_TARGET``."""
    chosen = os.environ.get("SERVICE_TARGET") or "process"
    if chosen not in ("process", "container"):
        raise ProjectError(f"SERVICE_TARGET={chosen!r}: use process or container")
    return chosen


def image() -> str:
    """The image a container runs: ``SERVICE_IMAGE``, by default the local build."""
    return os.environ.get("SERVICE_IMAGE") or IMAGE


class Stopped(ProjectError):
    """The service ended before it was healthy: how, and how it was confined."""

    def __init__(self, message: str, returncode: int | None, seconds: float):
        """``returncode`` after ``seconds`` of startup."""
        super().__init__(message)
        self.returncode = returncode
        self.seconds = seconds
        self.confined: Confined | None = None


def start(root: Path, limits: LoadGate, log_path: Path) -> Service:
    """Start the service on a free loopback port and wait until ``/health`` says ready."""
    port = free_port()
    started = time.monotonic()
    if target() == "container":
        service = _container(root, port, limits)
    else:
        service = _process(root, port, log_path, limits)
    try:
        _wait_healthy(service, started)
    except Stopped as stopped:
        service.stop()
        stopped.confined = service.confined()
        raise
    except BaseException:
        service.stop()
        raise
    service.ready_seconds = time.monotonic() - started
    return service


def _process(root: Path, port: int, log_path: Path, limits: LoadGate) -> Service:
    """The production command as a local process group in a cgroup, its output in ``log_path``.

    Its prediction log is ``predictions.jsonl`` beside ``log_path``: written, so its cost is
    measured, but away from the production log.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w", encoding="utf-8")
    predictions = log_path.with_name("predictions.jsonl")
    predictions.unlink(missing_ok=True)  # this run's predictions only
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    env["PREDICTION_LOG"] = str(predictions)
    cell = cgroups.create(f"{PROJECT}-{port}", limits)
    try:
        child = subprocess.Popen(
            cell.wrap(command(Path(sys.prefix))),
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as error:
        log.close()
        cell.close()
        raise ProjectError(f"the service did not start: {error}") from None
    ends = _watch(child.pid)
    counted: list[Confined] = []

    def stop() -> None:
        try:
            stop_group(child, timeout=10)
        finally:
            log.close()
            if not counted:
                counted.append(cell.close())

    def last_words() -> str:
        return last_line(log_path.read_text(encoding="utf-8"))

    def ended() -> tuple[int, float] | None:
        if child.poll() is None:
            return None
        return child.returncode, ends[0] if ends else time.monotonic()

    return Service(
        port,
        child.pid,
        lambda: child.poll() is None,
        stop,
        last_words,
        confined=lambda: counted[0],
        ended=ended,
    )


def _watch(pid: int) -> list[float]:
    """A list that gets the time (``time.monotonic()``) child ``pid`` ends, whoever ends it.

    The child is not reaped (``WNOWAIT``): its ``Popen`` still reads its return code.
    """
    ends: list[float] = []

    def wait() -> None:
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:  # reaped already by its Popen
            pass
        ends.append(time.monotonic())

    threading.Thread(target=wait, name="service-watch", daemon=True).start()
    return ends


def stop_group(child: subprocess.Popen, timeout: float) -> None:
    """Stop a process started in its own session, and its children: SIGTERM, then SIGKILL."""
    try:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
    except ProcessLookupError:  # it ended between the look and the signal
        pass


def _container(root: Path, port: int, limits: LoadGate) -> Service:
    """The image as a container held to the policy's limits; sampled on the host like a process."""
    tag = image()
    _docker("info")  # no daemon: said in one line, before a build
    _docker("build", "--quiet", "--tag", tag, str(root))
    name = f"{PROJECT}-{port}"
    memory = f"{limits.max_rss_mb:g}m"
    # Not --rm: a container that dies at startup keeps its log until stop() removes it.
    _docker(
        "run",
        "--detach",
        "--name",
        name,
        "--memory",
        memory,
        "--memory-swap",  # the same figure: no swap beyond the memory limit
        memory,
        "--cpus",
        f"{limits.max_cpu_percent / 100:g}",
        "--publish",
        f"127.0.0.1:{port}:{PORT}",  # the image listens on the default port
        tag,
    )

    def stop() -> None:
        _docker("rm", "--force", name)

    def confined() -> Confined:
        return Confined("Docker container", limits.max_rss_mb, limits.max_cpu_percent)

    try:
        pid = int(json.loads(_docker("inspect", name))[0]["State"]["Pid"])
    except BaseException:
        stop()
        raise
    return Service(
        port,
        pid,
        lambda: bool(_docker("ps", "--quiet", "--filter", f"name={name}")),
        stop,
        lambda: last_line(_docker("logs", "--tail", "5", name, output="both")),
        confined,
    )


def digest(tag: str) -> str | None:
    """The registry digest of a pushed image (``name@sha256:...``), if it has one."""
    digests = json.loads(_docker("image", "inspect", tag))[0].get("RepoDigests") or []
    return digests[0] if digests else None


def _docker(*args: str, output: str = "stdout") -> str:
    try:
        done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=900)
    except FileNotFoundError:
        raise ProjectError("SERVICE_TARGET=container needs docker, not installed here") from None
    except subprocess.TimeoutExpired:
        raise ProjectError(f"docker {args[0]} did not finish within 900 s") from None
    if done.returncode != 0:
        if NO_DAEMON in done.stderr:
            raise ProjectError(
                "SERVICE_TARGET=container needs a Docker daemon, and no Docker daemon answers "
                "here (start one, or use SERVICE_TARGET=process)"
            )
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        # The first line that is not a notice about Docker itself (the legacy builder, say).
        said = [line for line in lines if not line.startswith(NOTICES)] or lines or ["no output"]
        raise ProjectError(f"docker {args[0]}: {said[0].removeprefix('docker: ')}")
    return (done.stdout + (done.stderr if output == "both" else "")).strip()


def _wait_healthy(service: Service, started: float) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if not service.running():
            returncode, when = service.ended() or (None, time.monotonic())
            raise Stopped(
                f"the service stopped at startup: {service.last_words()}",
                returncode,
                when - started,
            )
        try:
            with urllib.request.urlopen(service.url("/health"), timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:  # refused while starting, or 503 until the model is loaded
            pass
        time.sleep(0.1)
    raise ProjectError(f"the service was not healthy within {STARTUP_SECONDS} s")


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def last_line(text: str) -> str:
    """The last non-blank line of a log, without a leading ``error: ``."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1].removeprefix("error: ") if lines else "no output"
