"""Side effects: data files, the model record, MLflow tracking and registry."""

from types import ModuleType

from .. import _submodule


def __getattr__(name: str) -> ModuleType:
    """Submodules on first use: ``from <package> import io`` then ``io.<module>`` works."""
    return _submodule(__name__, name)
