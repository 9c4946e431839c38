"""File helpers: hashing, all-or-nothing writes, and locations fit to print."""

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

CREDENTIALS = re.compile(r"(?<=://)[^/\s]*@")  # the user:password@ of a URL in some text


def sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write text (as UTF-8) or bytes to ``path``: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; these are ordinary project files
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as stable, readable JSON, atomically."""
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path, what: str) -> dict:
    """Read a JSON object, or raise a ``ProjectError`` that says what is missing or broken."""
    from ..core import ProjectError

    if path.is_relative_to(Path.cwd()):
        path = path.relative_to(Path.cwd())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{path}: {what} not found") from None
    except json.JSONDecodeError as error:
        raise ProjectError(f"{path}: {what} is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: {what} must be a JSON object")
    return data


def shown(location: str) -> str:
    """``location`` fit to print: a URL loses its credentials, query and fragment."""
    try:
        parts = urlsplit(location)
    except ValueError:  # a malformed URL
        return without_credentials(location).split("?")[0]
    if len(parts.scheme) < 2:  # a path
        return location
    slashes = location[len(parts.scheme) + 1 :].startswith("//")  # sqlite:///file keeps its ///
    host = "//" + parts.netloc.rpartition("@")[2] if slashes else ""
    return f"{parts.scheme}:{host}{parts.path}"


def without_credentials(text: str) -> str:
    """``text`` (an error message, say) with the ``user:password@`` of every URL in it removed."""
    return CREDENTIALS.sub("", text)


def read_yaml(path: Path, shown: Path, missing: str = "") -> dict:
    """A YAML mapping people wrote (empty: ``{}``), or one ``ProjectError`` naming ``shown``.

    ``missing`` is added to the message when the file is not there (what to run, say).
    """
    import yaml

    from ..core import ProjectError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{shown}: not found{missing}") from None
    except yaml.YAMLError as error:
        raise ProjectError(f"{shown}: not valid YAML ({error})".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProjectError(f"{shown}: must be a mapping of keys to values")
    return data
