"""Gate ``reproduce``: a clean retrain must give back the committed record.

The environment is built from the lock file alone, the model retrained from scratch, and the
result compared with ``model/record.json``: same data hash, same lock hash, same metrics.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ... import PACKAGE
from ...core.gates import GateResult
from ...core.reproduce import verdict
from ...io.record import read_record
from .. import policy

# Variables that would let the developer's environment leak into the clean one: an active
# virtualenv, extra import paths, another MLflow store. Network and uv settings pass through.
LEAKS = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT")
NOT_COPIED = {".venv", ".git", "mlruns", "mlartifacts", "reports", "__pycache__", "mlflow.db"}


def check(root: Path) -> GateResult:
    """Rebuild, retrain, compare; every differing value is listed in the reason."""
    tolerance = policy(root).gates.reproduce.tolerance
    committed = read_record(root)
    with tempfile.TemporaryDirectory(prefix="reproduce-") as scratch:
        copy = Path(scratch) / "project"
        _copy_sources(root, copy)
        env = _clean_env(Path(scratch))
        started = time.perf_counter()
        synced = _run(["uv", "sync", "--locked", "--all-groups", "--quiet"], copy, env)
        env_seconds = time.perf_counter() - started
        if synced.returncode != 0:
            return _fail(_sync_failure(synced.stderr), {"environment_seconds": env_seconds})
        # The CLI's own train and evaluate verbs, in one process (MLflow is imported once).
        verbs = f"from {PACKAGE}.cli import main; exit(main(['train']) or main(['evaluate']))"
        done = _run([str(copy / ".venv" / "bin" / "python"), "-c", verbs], copy, env)
        if done.returncode != 0:
            return _fail(f"retraining failed: {_last_line(done.stderr)}", {})
        fresh = read_record(copy)
    return verdict(committed, fresh, tolerance, env_seconds)


def _copy_sources(root: Path, copy: Path) -> None:
    """The project's sources as a fresh checkout would have them (git's view when it has one)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.split("\0")):
            source = root / name
            if source.is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name)
    else:
        shutil.copytree(root, copy, ignore=lambda _, names: NOT_COPIED & set(names))


def _clean_env(scratch: Path) -> dict[str, str]:
    # Without MLflow's settings: the retrain imports the package first, whose __init__ turns
    # MLflow's telemetry off again before MLflow loads.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in LEAKS and not name.startswith("MLFLOW_")
    }
    return {**env, "MLFLOW_TRACKING_URI": f"sqlite:///{scratch / 'mlflow.db'}"}


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def _sync_failure(stderr: str) -> str:
    if "needs to be updated" in stderr:
        return (
            "uv.lock does not match pyproject.toml: a dependency changed without re-locking "
            "(run `uv lock` and commit uv.lock)"
        )
    return f"the clean environment could not be built from uv.lock: {_last_line(stderr)}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1].removeprefix("error: ") if lines else "no output"


def _fail(reason: str, figures: dict[str, float]) -> GateResult:
    return GateResult("reproduce", False, reason, figures)
