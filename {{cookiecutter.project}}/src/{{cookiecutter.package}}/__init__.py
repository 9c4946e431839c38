"""A scikit-learn model that reaches production only through gates.

Layers: ``core`` is pure (schemas, metrics, policy, the pipeline), ``io`` has the side effects
(data files, MLflow), ``jobs`` orchestrates one task each, and ``cli`` is the single entry point
the Makefile calls.
"""

import os

for _name, _value in {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "ORT_DISABLE_TELEMETRY": "1",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}.items():
    os.environ.setdefault(_name, _value)
