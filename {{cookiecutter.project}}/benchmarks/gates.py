"""Print the wall time of a clean environment (``make setup``, warm uv cache) and of the gates.

Targets on 2 cores: clean environment <= 10 s, all gates but the load gate together <= 60 s.
The gates run as ``make gates`` runs them, in one process; each gate's share is timed inside it.
Run it with ``make benchmark`` in a trained project.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOURCES = ("pyproject.toml", "uv.lock", "README.md", ".python-version", "src")


def clean_environment(root: Path) -> tuple[float, int]:
    """Time ``uv sync --locked`` into a new, empty environment (what ``make setup`` does)."""
    with tempfile.TemporaryDirectory() as scratch:
        for name in SOURCES:
            copy = shutil.copytree if (root / name).is_dir() else shutil.copy
            copy(root / name, Path(scratch) / name)
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        started = time.perf_counter()
        command = ["uv", "sync", "--locked", "--all-groups", "--quiet"]
        code = subprocess.run(command, cwd=scratch, env=env, capture_output=True).returncode
        return time.perf_counter() - started, code


def main() -> int:
    """Print one line per step, then the total of the gates."""
    started = time.perf_counter()
    from {{ cookiecutter.package }}.jobs import gates

    imported = time.perf_counter() - started
    root = Path.cwd()
    seconds, code = clean_environment(root)
    print(f"{'clean environment (make setup)':32} {seconds:6.1f} s  exit {code}")
    print(f"{'start-up (imports)':32} {imported:6.1f} s")
    total = imported
    for gate in gates.GATES:
        started = time.perf_counter()
        verdict = "pass" if gates.run_gate(gate, root).passed else "FAIL"
        seconds = time.perf_counter() - started
        total += seconds
        print(f"{'gate ' + gate:32} {seconds:6.1f} s  {verdict}")
    print(f"{'all gates, as make gates':32} {total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
