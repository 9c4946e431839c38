import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The tools installed beside this interpreter (uv, cookiecutter) come first on PATH.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])

# No telemetry from anything a test starts.
for name, value in {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "ORT_DISABLE_TELEMETRY": "1",
}.items():
    os.environ[name] = value

# Every baked environment writes bytecode, as a developer's and a runner's do: with this
# machine's PYTHONDONTWRITEBYTECODE=1 each make target compiled MLflow, scikit-learn and pandas
# again (importing mlflow alone took 12 s; an act job's make step 239 s instead of 113 s).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def interpreter(version: str) -> str:
    """A Python interpreter of ``version`` for uv: one uv finds itself, else pyenv's."""
    found = subprocess.run(["uv", "python", "find", version], capture_output=True, text=True)
    if found.returncode == 0:
        return found.stdout.strip()
    if shutil.which("pyenv"):
        prefix = subprocess.run(["pyenv", "prefix", version], capture_output=True, text=True)
        if prefix.returncode == 0:
            return str(Path(prefix.stdout.strip()) / "bin" / "python3")
    pytest.fail(f"no Python {version} on this machine: the supported matrix needs it")


def run(command: str, cwd: Path, env: dict | None = None, timeout: int = 600):
    """Run a shell command; on failure, fail the test with its last output lines."""
    done = attempt(command, cwd, env, timeout)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
        pytest.fail(f"`{command}` failed in {cwd} (exit {done.returncode}):\n{tail}")
    return done


def attempt(
    command: str, cwd: Path, env: dict | None = None, timeout: int | None = None
) -> subprocess.CompletedProcess:
    """Run a shell command that may fail (a gate, a refused release); its result, whatever it is."""
    return subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def git_init(path: Path) -> None:
    """Make a baked project a git repository with one commit, as a user's would be."""
    run(
        "git init -q -b main && git add -A && "
        "git -c user.name=Test -c user.email=test@example.com commit -qm 'Bake'",
        cwd=path,
    )


@pytest.fixture
def bake(cookies):
    """Bake with extra answers and return the project path, failing on any exception."""

    def _bake(**answers) -> Path:
        result = cookies.bake(extra_context=answers)
        assert result.exception is None, result.exception
        assert result.exit_code == 0
        return Path(result.project_path)

    return _bake


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """Baked projects by task: set up, trained, evaluated, exported, carded, committed."""
    from cookiecutter.main import cookiecutter

    from tests.matrix import ROOT
    from tests.project import DEFAULTS, ENV
    from tests.test_generated import check_record

    projects = {}

    def get(task: str) -> Path:
        if task not in projects:
            output = tmp_path_factory.mktemp(task)
            options = DEFAULTS[task]
            project = Path(
                cookiecutter(str(ROOT), no_input=True, output_dir=output, extra_context=options)
            )
            git_init(project)
            # Lint runs in TestStandards, the unit tests in the workflow's tests job (TestWorkflow).
            run("make setup data train evaluate export card", cwd=project, env=ENV)
            check_record(project, options)
            run("git add -A && git -c user.name=T -c user.email=t@e.st commit -qm Train", project)
            projects[task] = project
        return projects[task]

    return get
