"""The model record, ``model/record.json``: like a lock file, but for the trained model.

It is committed with the code. Gates compare a fresh retrain and the registry against it.
"""

import platform
import subprocess
from pathlib import Path

from ..core.record import Record, parse_record
from .files import read_json, sha256, write_json

RECORD = Path("model/record.json")
LOCK = Path("uv.lock")


def read_record(root: Path) -> Record:
    """The committed record, checked (run `make train evaluate` to create it)."""
    data = read_json(root / RECORD, "model record (run `make train evaluate`)")
    return parse_record(data, RECORD.as_posix())


def write_record(root: Path, record: Record) -> None:
    """Replace the record, atomically."""
    write_json(root / RECORD, record.to_json())


def provenance(root: Path) -> dict[str, str | bool]:
    """What a run was made from: git commit, lock file hash and Python version."""
    return {
        "git_sha": _git(root, "rev-parse", "HEAD") or "unknown",
        "git_dirty": bool(_git(root, "status", "--porcelain", "--untracked-files=no")),
        "lock_sha256": sha256(root / LOCK) if (root / LOCK).exists() else "missing",
        "python": platform.python_version(),
    }


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()
