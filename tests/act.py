"""act on this host: the generated workflows run with stand-ins for what would be downloaded."""

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from tests.conftest import run
from tests.matrix import ROOT
from tests.project import ENV, in_project, package

ACTIONS = ROOT / "tests" / "actions"
# Stand-in commands on PATH: gh (releases, attestations) and docker (no engine here).
COMMANDS = ROOT / "tests" / "bin"


def stand_ins(workflow: Path) -> list[str]:
    """``--local-repository`` options: each action the workflow pins, or the project's local
    composite actions pin, by its exact reference, replaced by the stand-in of the same name in
    tests/actions (act copies for checkout)."""
    options = []
    texts = [workflow.read_text()] + [
        path.read_text() for path in workflow.parents[1].glob("actions/*/action.yml")
    ]
    for reference, name in sorted(
        set(re.findall(r"uses: ([\w-]+/([\w-]+)@[0-9a-f]{40})", "\n".join(texts)))
    ):
        if name != "checkout":
            assert (ACTIONS / name / "action.yml").exists(), f"no stand-in for {reference}"
            options += ["--local-repository", f"{reference}={ACTIONS / name}"]
    return options


def act(
    project: Path,
    tmp: Path,
    *options: str,
    workflow: str = "gates.yml",
    github: Path | None = None,
    artifacts: Path | None = None,
    env: dict | None = None,
) -> tuple[int, str]:
    """Run a workflow with act on this host; its exit code and log. The gates run on a pull
    request; other workflows as if started by hand (workflow_dispatch).

    Artifacts, and what the stand-ins would post, land in ``artifacts`` (``tmp/artifacts``;
    one folder shared by runs is one workflow run's); the releases, attestations and images of
    the gh and docker stand-ins in ``github`` (``tmp/github``).
    Pushes to the repository's github.com URL go to the bare repository ``github/origin.git``.
    """
    home, artifacts = tmp / "home", artifacts or tmp / "artifacts"
    github = github or tmp / "github"
    home.mkdir(parents=True)
    artifacts.mkdir(exist_ok=True)
    github.mkdir(exist_ok=True)
    repository = f"your-org/{project.name}"
    if subprocess.run("git remote get-url origin", shell=True, cwd=project).returncode:
        run(f"git remote add origin https://github.com/{repository}.git", cwd=project)
    origin = github / "origin.git"
    if not origin.exists():
        run(f"git init -q --bare {origin}", cwd=tmp)
    (home / ".gitconfig").write_text(
        f'[url "{origin.as_uri()}"]\n\tinsteadOf = https://github.com/{repository}.git\n'
    )
    event, payload = tmp / "event.json", {}
    if workflow == "gates.yml":
        head = {"repo": {"full_name": repository}}
        payload = {"pull_request": {"number": 1, "head": head}}
    event.write_text(json.dumps(payload))
    path = project / ".github" / "workflows" / workflow
    cache = run("uv cache dir", cwd=project).stdout.strip()  # before HOME moves
    command = [
        "act",
        "pull_request" if payload else "workflow_dispatch",
        "--workflows",
        str(path),
        "--eventpath",
        str(event),
        "--platform",
        "ubuntu-latest=-self-hosted",
        "--no-cache-server",
        "--rm",
        # No Docker engine here: the load gate runs the service as a process, not a container.
        "--var",
        "SERVICE_TARGET=process",
        *stand_ins(path),
        *options,
    ]
    env = {**os.environ, **ENV, "HOME": str(home), "UV_CACHE_DIR": cache, **(env or {})}
    env["STANDIN_ARTIFACTS"] = str(artifacts)
    env["STANDIN_GITHUB"] = str(github)
    env["PATH"] = os.pathsep.join([str(COMMANDS), env["PATH"]])
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=1200
    )
    return done.returncode, done.stdout + done.stderr


def summaries(log: str) -> list[tuple[str, str]]:
    """(job, text) of every job summary act printed; a matrix leg's job is its gate's name."""
    found = re.findall(
        r"^\[gates/([\w-]+?)(?:-\d+)?\s*\]\s+⚙  Summary - (.*?)(?=^\[)", log, re.M | re.S
    )
    return [(job, text.strip()) for job, text in found]


def matrix_tasks(project: Path) -> dict[str, str]:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "gates.yml").read_text())
    return {
        leg["gate"]: leg["task"]
        for leg in workflow["jobs"]["gate"]["strategy"]["matrix"]["include"]
    }


def publish(project: Path, github: Path, tag: str = "model-v1") -> dict:
    """Publish the project's committed model as the deploy workflow does: its champion bundle
    attached to the latest release ``tag`` and its model.onnx attested (in the gh stand-in's
    folder ``github``); returns the bundle's manifest."""
    folder = github / "bundle"
    name = package(project).name
    in_project(
        project,
        f"from {name} import io, jobs; "
        "import pathlib; root = pathlib.Path(); data = jobs.holdout(root); "
        "tags = io.registry.run_tags(data.record.model.run_id); "
        f'io.bundle.write(root, pathlib.Path("{folder}"), data.record, '
        "data.drivers(data.candidate()), tags)",
    )
    release = github / "releases" / tag
    release.mkdir(parents=True)
    shutil.copy(github / "champion.tar.gz", release)
    (github / "releases" / "latest").write_text(f"{tag}\n")
    with (github / "attestations").open("a") as attested:
        attested.write(hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest() + "\n")
    return json.loads((folder / "bundle.json").read_text())


@contextlib.contextmanager
def committed(project: Path) -> Iterator[None]:
    """Commits made inside the block (a pull request's, a merge's) are undone however it ends:
    the project goes back to the commit it was at, its new files removed."""
    head = run("git rev-parse HEAD", cwd=project).stdout.strip()
    try:
        yield
    finally:
        run(f"git reset -q --hard {head} && git clean -fdq", cwd=project)


def commit(project: Path, message: str) -> None:
    run(f"git add -A && git -c user.name=T -c user.email=t@e.st commit -qm '{message}'", project)
