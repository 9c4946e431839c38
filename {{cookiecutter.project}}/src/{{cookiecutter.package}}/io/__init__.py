"""Side effects: data files, the model record, MLflow tracking and registry."""

from .. import _submodule


def __getattr__(name: str):
    """Submodules on first use: ``from <package> import io`` then ``io.<module>`` works."""
    return _submodule(__name__, name)
