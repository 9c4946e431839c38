"""``make serve``: the prediction service, one uvicorn process on uvloop and httptools.

The image, ``make serve`` and the load gate start it alike: the environment's own entry point,
``<environment>/bin/<project> serve``, which loads the runtime dependencies alone. No make, uv
or shell stays in the process tree: the service is the process that receives SIGTERM.
``make serve CONFINE=1`` (``serve --confine``) runs that command inside a cgroup holding the
policy's ``gates.load`` memory and CPU, as the load gate does, and says how it ended.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .. import PACKAGE, PROJECT
from ..core import ProjectError
from ..core.kubernetes import GRACE_SECONDS, PORT
from ..core.policy import load_policy
from ..io.record import read_record
from .model import read

POLICY = Path("policy.yaml")
# One process on uvloop and httptools, without access log: what the service runs with. The
# protocol is httptools with header and body deadlines and a header size limit (guard.py).
UVICORN: dict[str, Any] = {
    "loop": "uvloop",
    "http": f"{PACKAGE}.serving.guard:Protocol",
    "workers": 1,
    "access_log": False,
    "server_header": False,
    # Connections and requests in progress at once; beyond, uvicorn answers 503 at once.
    "limit_concurrency": 100,
    "timeout_keep_alive": 5,  # seconds an idle keep-alive connection stays open
    # On SIGTERM, requests in progress get this long, then are cancelled, well before the
    # Deployment's grace period ends in a SIGKILL.
    "timeout_graceful_shutdown": GRACE_SECONDS - 10,
}


def command(environment: Path) -> list[str]:
    """The production command in ``environment`` (a virtual environment's directory).

    The image runs ``/app/.venv``'s, ``make serve`` the project's ``.venv``'s, the load gate its
    own interpreter's.
    """
    return [str(environment / "bin" / PROJECT), "serve"]


def address() -> tuple[str, int]:
    """Host and port to listen on: ``HOST`` and ``PORT``, by default 127.0.0.1 and 8000."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or str(PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ProjectError(f"PORT={port!r} is not a port number")
    return host, int(port)


def serve(root: Path, confine: bool = False) -> str:
    """Serve the record's exported model until stopped; refuses a model that is not the record's.

    With ``confine``, in a cgroup of its own (``confined``).
    """
    if confine:
        return confined(root)
    import uvicorn

    from .app import create_app

    rules = load_policy(root / POLICY)
    record = read_record(root)
    read(root, record)  # a wrong model stops here, in one line, before the port opens
    host, port = address()
    uvicorn.run(create_app(root, rules, record), host=host, port=port, **UVICORN)
    return "service stopped"


def confined(root: Path) -> str:
    """``serve``'s command in a cgroup holding the policy's load-gate memory and CPU, until stopped.

    This process waits beside it, passes SIGTERM and SIGINT on, then reports what the kernel
    counted: an OOM kill at the memory limit or CPU throttling, in words. Refused, in one line,
    where no cgroup can be made (``io/cgroups.py`` says why).
    """
    from ..core.load import Confined, Ended, ending, held
    from ..io import cgroups

    rules = load_policy(root / POLICY)
    read(root, read_record(root))  # a wrong model stops here, before any cgroup
    _, port = address()
    cell = cgroups.create(f"{PROJECT}-serve-{port}", rules.gates.load)
    if not cell.kind:
        raise ProjectError(f"no cgroup to confine the service in: {cell.why_not}")
    started = time.monotonic()
    try:
        child = subprocess.Popen(cell.wrap(command(Path(sys.prefix))), start_new_session=True)
    except OSError as error:
        cell.close()
        raise ProjectError(f"the service did not start: {error}") from None
    passed: list[int] = []

    def pass_on(received: int, frame: object) -> None:
        passed.append(received)
        child.send_signal(received)

    for number in (signal.SIGTERM, signal.SIGINT):  # its own session: only this one passes them
        signal.signal(number, pass_on)
    limits = Confined(cell.kind, cell.memory_mb, cell.cpu_percent)
    print(f"port {port}, {limits.words()}", file=sys.stderr, flush=True)
    returncode = child.wait()
    limits = cell.close()
    words = held(limits)
    # uvicorn ends by raising the signal that stopped it again: its status is then -signal.
    if returncode != 0 and -returncode not in passed:
        ended = Ended(returncode, time.monotonic() - started, "serving")
        raise ProjectError(f"{ending(ended, limits)}; {words}")
    return f"service stopped; {words}"
