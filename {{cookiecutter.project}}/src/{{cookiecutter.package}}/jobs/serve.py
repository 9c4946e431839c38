"""``make serve``: the prediction service, one uvicorn process on uvloop and httptools."""

import os
from typing import Any
from pathlib import Path

from .. import PACKAGE, PROJECT
from ..core import ProjectError
from ..core.kubernetes import GRACE_SECONDS
from ..io import onnx_model
from ..io.record import read_record
from . import policy

# The production command: `make serve`, the Dockerfile and the load gate run exactly this. It
# needs the runtime dependencies alone, no dependency group.
COMMAND = [
    "uv",
    "run",
    "--locked",
    "--no-default-groups",
    PROJECT,
    "serve",
]
# One process on uvloop and httptools, without access log: what the service runs with. The
# protocol is httptools with header and body deadlines and a header size limit (io/guard.py).
UVICORN: dict[str, Any] = {
    "loop": "uvloop",
    "http": f"{PACKAGE}.io.guard:Protocol",
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


def address() -> tuple[str, int]:
    """Host and port to listen on: ``HOST`` and ``PORT``, by default 127.0.0.1 and 8000."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ProjectError(f"PORT={port!r} is not a port number")
    return host, int(port)


def serve(root: Path) -> str:
    """Serve the record's exported model until stopped; refuses a model that is not the record's."""
    import uvicorn

    from ..io.service import create_app

    rules = policy(root)
    record = read_record(root).to_json()
    onnx_model.read(root, record)  # a wrong model stops here, in one line, before the port opens
    host, port = address()
    uvicorn.run(create_app(root, rules, record), host=host, port=port, **UVICORN)
    return "service stopped"
