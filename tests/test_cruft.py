"""Template updates reach a generated repository through cruft, with no network."""

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import attempt, run
from tests.matrix import ROOT

GIT = "git -c user.name=Test -c user.email=test@example.com"


def template_repository(to: Path) -> Path:
    """The template as a git repository of its own: the files git would check out here."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, to / name)
    run(f"git init -q -b main && git add -A && {GIT} commit -qm 'Template v1'", cwd=to)
    return to


def head(repository: Path) -> str:
    return run("git rev-parse HEAD", cwd=repository).stdout.strip()


def test_cruft_check_sees_a_template_change_and_update_brings_it_in(tmp_path):
    template = template_repository(tmp_path / "template")
    run(f"cruft create --no-input --output-dir out file://{template}", cwd=tmp_path)
    project = tmp_path / "out" / "gated-model"
    run(f"git init -q -b main && git add -A && {GIT} commit -qm Bake", cwd=project)
    recorded = json.loads((project / ".cruft.json").read_text())
    assert recorded["commit"] == head(template)
    assert recorded["context"]["cookiecutter"]["task"] == "classification"
    run("cruft check", cwd=project)

    # The template moves on: a new line in every generated .gitignore.
    ignore = template / "{{cookiecutter.project}}" / ".gitignore"
    ignore.write_text(ignore.read_text() + "\n# Profiles\n*.prof\n")
    run(f"{GIT} commit -qam 'Ignore profiles'", cwd=template)
    outdated = attempt("cruft check", project)
    assert outdated.returncode == 1 and "out of date" in outdated.stdout

    run("cruft update --skip-apply-ask", cwd=project)
    assert (project / ".gitignore").read_text().endswith("*.prof\n")
    assert json.loads((project / ".cruft.json").read_text())["commit"] == head(template)
    run("cruft check", cwd=project)
