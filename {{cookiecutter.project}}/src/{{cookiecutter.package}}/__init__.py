"""A scikit-learn model that reaches production only through gates.

Layers: ``core`` is pure (schemas, metrics, policy, the pipeline), ``io`` has the side effects
(data files, MLflow), ``jobs`` orchestrates one task each, and ``cli`` is the single entry point
the Makefile calls.
"""

import importlib
import os
from types import ModuleType

# The project's names, stated once: the distribution, CLI, image and Kubernetes app are PROJECT;
# the import package (and the registered model) is PACKAGE.
PROJECT = "{{ cookiecutter.project }}"
PACKAGE = __name__

# Telemetry off, stated here once for everything that imports the package (every CLI verb, the
# service, the retrain of the reproduce gate), before any module imports MLflow or onnxruntime.
# The Makefile exports the same for the tools it runs outside the package (`make ui`).
for _name, _value in {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "ORT_DISABLE_TELEMETRY": "1",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}.items():
    os.environ.setdefault(_name, _value)


def _submodule(package: str, name: str) -> ModuleType:
    """Import ``package.name`` when first asked for as an attribute (PEP 562)."""
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{package}.{name}":
            raise
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
