"""Pure building blocks: no file, network or tracking access."""

from types import ModuleType

from .. import _submodule


class ProjectError(Exception):
    """A problem the user can fix; the CLI prints it as one line, without a traceback."""


def __getattr__(name: str) -> ModuleType:
    """Submodules on first use: ``from <package> import core`` then ``core.<module>`` works."""
    return _submodule(__name__, name)
