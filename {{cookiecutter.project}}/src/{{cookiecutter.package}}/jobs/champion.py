"""``make champion`` and ``make match``: the published champion, and the model the gates judged.

``make champion`` downloads the bundle of the latest ``model-v<N>`` release with ``gh`` (a
token that reads the repository's contents is enough: a fork's pull request has one), checks
the attestation of its ONNX file with ``gh attestation verify``, and unpacks it into
``champion/``; ``CHAMPION_BUNDLE=champion`` then makes the gates compare with it.

``make match`` refuses a rebuilt model that computes anything but what the committed record's
export computed: the pull request's gates judged that model, and only that one is deployed.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..core import ProjectError
from ..core.record import parse_record
from ..io import bundle
from ..io.record import RECORD, read_record

FOLDER = Path("champion")
NOT_FOUND = "release not found"


def fetch(root: Path) -> str:
    """Download, verify and unpack the latest release's bundle into ``champion/``."""
    folder = root / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    with tempfile.TemporaryDirectory() as scratch:
        done = _gh(root, "release", "download", "--pattern", bundle.ARCHIVE, "--dir", scratch)
        if done.returncode != 0 and NOT_FOUND in done.stderr.lower():
            bundle.none(folder, "no model-v* release yet")
            return f"no champion published yet: {FOLDER}/ says so, the gates judge thresholds alone"
        if done.returncode != 0:
            raise ProjectError(f"gh release download: {_last_line(done.stderr)}")
        found = bundle.unpack(Path(scratch) / bundle.ARCHIVE, folder)
    champion = found.champion()
    if champion is None:
        return f"the latest release has no champion: {FOLDER}/ says so"
    found.model()  # its sha256 is the bundle's, or this stops here
    verified = _gh(
        root, "attestation", "verify", str(folder / "model.onnx"), "--repo", repository(root)
    )
    if verified.returncode != 0:
        shutil.rmtree(folder)
        raise ProjectError(
            f"the champion's model.onnx has no valid attestation from {repository(root)}: "
            f"{_last_line(verified.stderr or verified.stdout)}"
        )
    return f"champion version {champion['version']} unpacked into {FOLDER}/, attestation verified"


def match(root: Path) -> str:
    """The built model's ``model_sha256`` is the committed record's, or a ``ProjectError``."""
    built = read_record(root).onnx
    shown = _git(root, "show", f"HEAD:{RECORD.as_posix()}")
    try:
        committed = parse_record(json.loads(shown), f"the committed {RECORD}") if shown else None
    except json.JSONDecodeError as error:
        raise ProjectError(f"the committed {RECORD} is not valid JSON ({error})") from None
    expected = committed.onnx.model_sha256 if committed and committed.onnx else None
    if not expected:
        raise ProjectError(
            f"the committed {RECORD} names no onnx.model_sha256 "
            "(run `make export` and commit the record)"
        )
    file = root / "model" / "model.onnx"
    actual = bundle.model_digest(file.read_bytes()) if file.is_file() else "missing"
    if built is None or actual != built.model_sha256 or actual != expected:
        raise ProjectError(
            f"the built model (model_sha256 {actual[:12]}) is not the one the pull request's "
            f"gates judged ({expected[:12]}, committed {RECORD}): refusing to ship it"
        )
    return f"the built model is the one the gates judged (model_sha256 {actual[:12]})"


def repository(root: Path) -> str:
    """``owner/name`` on GitHub: ``GITHUB_REPOSITORY``, else the ``origin`` remote's."""
    named = os.environ.get("GITHUB_REPOSITORY")
    if named:
        return named
    url = _git(root, "remote", "get-url", "origin")
    found = re.search(r"github\.com[:/]([^/]+/[^/]+?)(?:\.git)?$", url)
    if not found:
        raise ProjectError("no GitHub repository: set GITHUB_REPOSITORY or a github.com origin")
    return found[1]


def _gh(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["gh", *args], cwd=root, capture_output=True, text=True)
    except FileNotFoundError:
        raise ProjectError("make champion needs the GitHub CLI, gh, on PATH") from None


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
