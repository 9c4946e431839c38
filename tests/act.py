"""act on this host: the generated workflows run with stand-ins for what would be downloaded."""

import json
import os
import re
import subprocess
from pathlib import Path

import yaml

from tests.conftest import run
from tests.matrix import ROOT
from tests.project import ENV

ACTIONS = ROOT / "tests" / "actions"


def stand_ins(workflow: Path) -> list[str]:
    """``--local-repository`` options: each action the workflow pins, by its exact reference,
    replaced by the stand-in of the same name in tests/actions (act copies for checkout)."""
    options = []
    for reference, name in sorted(
        set(re.findall(r"uses: ([\w-]+/([\w-]+)@[0-9a-f]{40})", workflow.read_text()))
    ):
        if name != "checkout":
            assert (ACTIONS / name / "action.yml").exists(), f"no stand-in for {reference}"
            options += ["--local-repository", f"{reference}={ACTIONS / name}"]
    return options


def act(project: Path, tmp: Path, *options: str, workflow: str = "gates.yml") -> tuple[int, str]:
    """Run a workflow with act on this host; its exit code and log. The gates run on a pull
    request; other workflows as if started by hand (workflow_dispatch).

    Artifacts, and what the stand-ins would post, land in ``tmp/artifacts``.
    """
    home, artifacts = tmp / "home", tmp / "artifacts"
    home.mkdir(parents=True)
    artifacts.mkdir()
    repository = f"your-org/{project.name}"
    if subprocess.run("git remote get-url origin", shell=True, cwd=project).returncode:
        run(f"git remote add origin https://github.com/{repository}.git", cwd=project)
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
    env = {**os.environ, **ENV, "HOME": str(home), "UV_CACHE_DIR": cache}
    env["STANDIN_ARTIFACTS"] = str(artifacts)
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
