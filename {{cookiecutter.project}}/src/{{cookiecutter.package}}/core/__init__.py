"""Pure building blocks: no file, network or tracking access."""


class ProjectError(Exception):
    """A problem the user can fix; the CLI prints it as one line, without a traceback."""
