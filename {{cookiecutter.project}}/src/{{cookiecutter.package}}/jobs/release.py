"""``make release``: smoke-test the service as production will run it, and only then promote.

The deploy workflow calls this after it pushed the image, with ``SERVICE_TARGET=container`` and
``SERVICE_IMAGE`` naming that image; locally it smoke-tests ``make serve``'s process. The
registry's ``champion`` alias moves only once the service said it is healthy, serves the
recorded model and answered holdout rows with one prediction each, and the champion bundle
(``io/bundle.py``) was written: a failure before that leaves the champion where it was. The
deployment record names model, run, commit, image and the bundle's ONNX sha256.
"""

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from ..core import ProjectError
from ..core.record import Record
from ..io import bundle, registry, server
from ..io.data import holdout_rows
from ..io.files import write_atomic, write_json
from ..io.record import read_record
from . import holdout, policy
from .promote import promote

REPORTS = Path("reports/deployment")
BUNDLE = REPORTS / "bundle"  # and its archive beside it, reports/deployment/champion.tar.gz
SMOKE_ROWS = 5


def smoke_test(root: Path) -> str:
    """Start the service as ``make release`` does and smoke-test it; nothing moves."""
    rules = policy(root)
    record = read_record(root)
    rows = holdout_rows(root, rules)[:SMOKE_ROWS]
    service = server.start(root, rules.gates.load, root / REPORTS / "service.log")
    try:
        smoke(service, record, rows)
    finally:
        service.stop()
    return f"smoke test passed ({server.target()})"


def release(root: Path) -> str:
    """Smoke-test, write the bundle, promote, write ``reports/deployment/record.json``, ``.md``."""
    record = read_record(root)
    reports = root / REPORTS
    smoke_test(root)
    data = holdout(root)
    importance, tags = data.drivers(data.candidate()), registry.run_tags(record.model.run_id)
    published = bundle.write(root, root / BUNDLE, record, importance, tags)
    moved = promote(root)
    target = server.target()
    image = server.image() if target == "container" else None
    deployment = {
        "model": record.model.model_dump(mode="json"),
        "git_sha": record.git_sha,
        "data_sha256": record.data_sha256,
        "metrics": record.metrics,
        "service": target,
        "image": image,
        "image_digest": server.digest(image) if image else None,
        "bundle": published["champion"],
        "released_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_json(reports / "record.json", deployment)
    write_atomic(reports / "record.md", _markdown(deployment, moved))
    return f"smoke test passed ({target}); {moved}"


def smoke(service: server.Service, record: Record, rows: list[dict]) -> None:
    """The service is healthy, serves the recorded model and predicts each row, or it raises."""
    health = _call(service, "/health")
    if health.get("status") != "ok":
        raise ProjectError(f"smoke test: /health said {health}")
    served = _call(service, "/metadata")
    expected = record.model
    if (served.get("version"), served.get("run_id")) != (expected.version, expected.run_id):
        raise ProjectError(
            f"smoke test: the service runs version {served.get('version')} of run "
            f"{served.get('run_id')}, the record says version {expected.version} of run "
            f"{expected.run_id}"
        )
    answer = _call(service, "/predict", rows)
    predictions = answer.get("predictions") or []
    if len(predictions) != len(rows):
        raise ProjectError(f"smoke test: {len(rows)} rows got {len(predictions)} predictions")


def _call(service: server.Service, path: str, body=None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        service.url(path), data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise ProjectError(f"smoke test: {path} answered {error.code}") from None
    except (OSError, ValueError) as error:
        raise ProjectError(f"smoke test: {path} failed: {error}") from None


def _markdown(deployment: dict, moved: str) -> str:
    model = deployment["model"]
    lines = [
        f"### Deployed {model['name']} version {model['version']}",
        "",
        f"- {moved}",
        f"- run `{model['run_id']}`, commit `{deployment['git_sha']}`",
        f"- data sha256 `{deployment['data_sha256']}`",
        f"- image `{deployment['image_digest'] or deployment['image'] or 'none (process)'}`",
        f"- model.onnx sha256 `{deployment['bundle']['onnx_sha256']}` (bundle `champion.tar.gz`)",
        "- metrics: " + ", ".join(f"{k} {v:.4g}" for k, v in deployment["metrics"].items()),
    ]
    return "\n".join(lines) + "\n"
