"""Print the wall time of a clean environment (``make setup``, warm uv cache) and of each gate.

Targets on 2 cores: clean environment <= 10 s, all gates but the load gate together <= 60 s.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int]:
    """Seconds a command took, and its exit code."""
    started = time.perf_counter()
    code = subprocess.run(command, cwd=cwd, env=env, capture_output=True).returncode
    return time.perf_counter() - started, code


def main() -> int:
    """Time each step and print one line each, then the totals."""
    import os

    root = Path.cwd()
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("pyproject.toml", "uv.lock", "README.md", ".python-version"):
            shutil.copy(root / name, Path(scratch) / name)
        shutil.copytree(root / "src", Path(scratch) / "src")
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(Path(scratch) / ".venv")}
        env.pop("VIRTUAL_ENV", None)
        setup, code = timed(
            ["uv", "sync", "--locked", "--all-groups", "--quiet"], Path(scratch), env
        )
    print(f"{'make setup (new .venv, warm cache)':40} {setup:6.1f} s  exit {code}")
    total = 0.0
    from {{ cookiecutter.package }}.jobs.gates import GATES

    for gate in GATES:
        seconds, code = timed([sys.executable, "-m", "{{ cookiecutter.package }}", "gate", gate], root)
        total += seconds
        print(f"{'gate ' + gate:40} {seconds:6.1f} s  exit {code}")
    print(f"{'all gates':40} {total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
