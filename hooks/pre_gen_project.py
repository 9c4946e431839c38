"""Validate every answer before anything is written; one clear line per refusal, exit 1."""

import json
import keyword
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
MAX_LENGTH = 63  # a Kubernetes name (the app label, the Service) is a DNS label
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
# Import names of the generated project's dependencies: a package named like one would shadow it.
TAKEN = {"mlflow", "sklearn", "sklego", "pandas", "numpy", "pydantic", "yaml", "evidently", "tests"}
DATA_FORMATS = (".csv", ".csv.gz", ".parquet")
CHOICES = {
    "task": {"classification", "multiclass", "regression"},
    "python_version": {"3.11", "3.12", "3.13"},
    "license": {"MIT", "Apache-2.0", "LicenseRef-Proprietary"},
}


def problems(answers: dict) -> list[str]:
    """Every answer that cannot make a working project, as sentences naming the value."""
    found = []
    for name in ("project_name", "author"):
        value = answers[name]
        if not value.strip() or any(ord(char) < 32 for char in value):
            found.append(f"{name} {value!r} must be non-empty text on one line")
    if len(answers["project"]) > MAX_LENGTH or len(answers["package"]) > MAX_LENGTH:
        found.append(f"project and package names must be at most {MAX_LENGTH} characters")
    if not SLUG.fullmatch(answers["project"]):
        found.append(
            f"project {answers['project']!r} must be lowercase letters, digits and single "
            "hyphens, starting with a letter (e.g. 'credit-risk')"
        )
    package = answers["package"]
    if not package.isidentifier() or not package.isascii() or package != package.lower():
        found.append(
            f"package {package!r} must be a lowercase Python identifier, e.g. 'risk_model'"
        )
    elif keyword.iskeyword(package) or package in sys.stdlib_module_names or package in TAKEN:
        found.append(f"package {package!r} would shadow a Python keyword or module; pick another")
    if not EMAIL.fullmatch(answers["email"]):
        found.append(f"email {answers['email']!r} is not an email address")
    if not GITHUB_OWNER.fullmatch(answers["github_owner"]):
        owner = answers["github_owner"]
        found.append(f"github_owner {owner!r} is not a GitHub user or organisation name")
    found += data_problems(answers["data_source"], answers["target"])
    for name, allowed in CHOICES.items():
        if answers[name] not in allowed:
            found.append(
                f"{name} {answers[name]!r} is not supported; choose from {sorted(allowed)}"
            )
    return found


def data_problems(source: str, target: str) -> list[str]:
    """The demo takes no target; your own file is a CSV or Parquet path or URL, with a target."""
    if any(ord(char) < 32 for char in source + target):
        return [f"data_source {source!r} and target {target!r} must be text on one line"]
    if source == "demo":
        return (
            [f"target {target!r} is for your own data; leave it empty for the demo"]
            if target
            else []
        )
    found = []
    if not urlsplit(source).path.lower().endswith(DATA_FORMATS):
        found.append(
            f"data_source {source!r} must be 'demo' or a .csv, .csv.gz or .parquet path or URL"
        )
    elif source.startswith("/") and not Path(source).is_file():
        found.append(f"data_source {source!r} does not exist")
    if not target.strip():
        found.append("target: name the column of your data to predict")
    return found


def main(answers: dict) -> int:
    """Print the first problem and return 1, or return 0."""
    found = problems(answers)
    if found:
        print(f"ERROR: {found[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r"""{{ cookiecutter | tojson }}""")))
