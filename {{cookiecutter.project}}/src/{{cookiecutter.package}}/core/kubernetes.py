"""The Kubernetes Deployment of the service, from the policy: pure data, no files."""

import math
from typing import TYPE_CHECKING, Any

from .. import PROJECT

if TYPE_CHECKING:  # only for types: the image's health check imports PORT without pydantic
    from .policy import Policy

APP = PROJECT
# The service's port, stated once: the launcher's default, the container's, the Deployment's.
PORT = 8000
UID = 10001  # the Dockerfile's non-root user
GRACE_SECONDS = 30  # from SIGTERM to SIGKILL; the service ends its requests 10 s before


def resources(rules: "Policy") -> dict[str, Any]:
    """Requests and limits: the CPU and memory the load gate held the service to."""
    limits = rules.gates.load
    bounds = {
        "cpu": f"{math.floor(limits.max_cpu_percent * 10)}m",  # 100% of a core is 1000m
        "memory": f"{math.floor(limits.max_rss_mb)}Mi",  # psutil's RSS is in MiB
    }
    return {"requests": dict(bounds), "limits": dict(bounds)}


def deployment(rules: "Policy") -> dict[str, Any]:
    """The service's Deployment: non-root, read-only root, probes on /health, policy limits."""

    def labels() -> dict[str, str]:  # a fresh dict each time: YAML would otherwise write anchors
        return {"app.kubernetes.io/name": APP}

    health = {"path": "/health", "port": "http"}
    container = {
        "name": APP,
        "image": APP,  # the production overlay pins the registry image by digest
        "ports": [{"name": "http", "containerPort": PORT}],
        "env": [
            {"name": "HOST", "value": "0.0.0.0"},
            {"name": "PORT", "value": str(PORT)},
        ],
        "resources": resources(rules),
        "readinessProbe": {"httpGet": dict(health), "periodSeconds": 5},
        "livenessProbe": {"httpGet": dict(health), "periodSeconds": 10, "initialDelaySeconds": 30},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": APP, "labels": labels()},
        "spec": {
            "selector": {"matchLabels": labels()},
            "template": {
                "metadata": {"labels": labels()},
                "spec": {
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": GRACE_SECONDS,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": UID,
                        "runAsGroup": UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }
