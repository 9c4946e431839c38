"""``make serve``: the prediction service, one uvicorn process on uvloop and httptools.

The image, ``make serve`` and the load gate start it alike: the environment's own entry point,
``<environment>/bin/<project> serve``, which loads the runtime dependencies alone. No make, uv
or shell stays in the process tree: the service is the process that receives SIGTERM.
"""

import os
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


def serve(root: Path) -> str:
    """Serve the record's exported model until stopped; refuses a model that is not the record's."""
    import uvicorn

    from .app import create_app

    rules = load_policy(root / POLICY)
    record = read_record(root)
    read(root, record)  # a wrong model stops here, in one line, before the port opens
    host, port = address()
    uvicorn.run(create_app(root, rules, record), host=host, port=port, **UVICORN)
    return "service stopped"
