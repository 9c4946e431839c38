"""``make manifests`` and ``make pin``: the Kubernetes files in ``deploy/k8s/``.

``deploy/k8s/base/deployment.yaml`` is written from ``policy.yaml``, so the cluster enforces the
CPU and memory the load gate measured the service against; the load gate fails when the
committed file says otherwise. ``make pin`` writes the released image digest into the
production overlay, which a GitOps controller (Argo CD, Flux) rolls out.
"""

from pathlib import Path

import yaml

from ..core import ProjectError
from ..core.kubernetes import APP, deployment, resources
from ..core.policy import Policy
from ..io.files import read_json, write_atomic
from . import policy

DEPLOYMENT = Path("deploy/k8s/base/deployment.yaml")
OVERLAY = Path("deploy/k8s/overlays/production/kustomization.yaml")
DEPLOYED = Path("reports/deployment/record.json")
WRITTEN = "# Written by `make manifests` from policy.yaml; change the policy, then run it.\n"
PINNED = "# The image in production: `make pin` writes it after each release.\n"


def write_manifests(root: Path) -> Path:
    """Write the Deployment from the policy."""
    text = WRITTEN + yaml.safe_dump(deployment(policy(root)), sort_keys=False)
    write_atomic(root / DEPLOYMENT, text)
    return root / DEPLOYMENT


def limit_problems(root: Path, rules: Policy) -> list[str]:
    """How the committed Deployment's resources differ from the policy's (none: they agree)."""
    path = root / DEPLOYMENT
    if not path.exists():
        return [f"{DEPLOYMENT} is missing: run make manifests"]
    try:
        committed = yaml.safe_load(path.read_text(encoding="utf-8"))
        found = committed["spec"]["template"]["spec"]["containers"][0]["resources"]
    except (yaml.YAMLError, KeyError, IndexError, TypeError) as error:
        return [f"{DEPLOYMENT} has no container resources ({error}): run make manifests"]
    expected = resources(rules)
    return [
        f"{DEPLOYMENT} {kind}.{name} is {found.get(kind, {}).get(name)}, the policy says "
        f"{value}: run make manifests"
        for kind, values in expected.items()
        for name, value in values.items()
        if found.get(kind, {}).get(name) != value
    ]


def pin(root: Path) -> str:
    """Point the production overlay at the released image digest."""
    released = read_json(root / DEPLOYED, "the deployment record (make release)")
    reference = released.get("image_digest")
    if not reference or "@sha256:" not in reference:
        raise ProjectError(f"{DEPLOYED} names no pushed image digest: run make release on CI")
    name, digest = reference.split("@", 1)
    overlay = yaml.safe_load((root / OVERLAY).read_text(encoding="utf-8"))
    overlay["images"] = [{"name": APP, "newName": name, "digest": digest}]
    write_atomic(root / OVERLAY, PINNED + yaml.safe_dump(overlay, sort_keys=False))
    return f"{OVERLAY}: {APP} -> {reference}"
