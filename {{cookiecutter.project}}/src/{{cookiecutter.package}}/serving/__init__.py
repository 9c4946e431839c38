"""The prediction service: what the image runs, and nothing else.

Everything here imports only the runtime dependencies (``[project] dependencies``: FastAPI,
uvicorn, onnxruntime, NumPy, pydantic, prometheus-client, PyYAML) and the pure modules of
``core`` that need no more; no pandas, scikit-learn or MLflow. ``tests/test_service.py`` checks
it: the service is imported in a fresh interpreter, and none of those may be loaded.
``launcher`` starts it (``make serve``), ``app`` answers requests, ``model`` runs the ONNX
session, ``guard`` bounds what clients send, ``prediction_log`` and ``telemetry`` record it.
"""

from .. import _submodule


def __getattr__(name: str):
    """Submodules on first use: ``from <package> import serving`` then ``serving.app`` works."""
    return _submodule(__name__, name)
