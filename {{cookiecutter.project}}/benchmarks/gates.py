"""Print the wall time of a clean environment (``make setup``, warm uv cache) and of each gate.

Targets on 2 cores: clean environment <= 10 s, all gates but the load gate together <= 60 s.
Run it with ``make benchmark`` in a trained project.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from {{ cookiecutter.package }}.jobs.gates import GATES

PACKAGE = "{{ cookiecutter.package }}"
SOURCES = ("pyproject.toml", "uv.lock", "README.md", ".python-version", "src")


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int]:
    """Seconds a command took, and its exit code."""
    started = time.perf_counter()
    code = subprocess.run(command, cwd=cwd, env=env, capture_output=True).returncode
    return time.perf_counter() - started, code


def clean_environment(root: Path) -> tuple[float, int]:
    """Time ``uv sync --locked`` into a new, empty environment (what ``make setup`` does)."""
    with tempfile.TemporaryDirectory() as scratch:
        for name in SOURCES:
            copy = shutil.copytree if (root / name).is_dir() else shutil.copy
            copy(root / name, Path(scratch) / name)
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        command = ["uv", "sync", "--locked", "--all-groups", "--quiet"]
        return timed(command, Path(scratch), env)


def main() -> int:
    """Print one line per step, then the total of the gates."""
    root = Path.cwd()
    seconds, code = clean_environment(root)
    print(f"{'clean environment (make setup)':32} {seconds:6.1f} s  exit {code}")
    total = 0.0
    for gate in GATES:
        seconds, code = timed([sys.executable, "-m", PACKAGE, "gate", gate], root)
        total += seconds
        print(f"{'gate ' + gate:32} {seconds:6.1f} s  exit {code}")
    print(f"{'all gates':32} {total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
