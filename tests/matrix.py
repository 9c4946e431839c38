"""The option matrix, as data: what must bake and pass its gates, and what must be refused."""

import itertools
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = json.loads((ROOT / "cookiecutter.json").read_text())

LONGEST = "a-project-name-of-thirty-chars"
DEFAULT_PYTHON = PROMPTS["python_version"][0]  # the longest name the pre-gen hook accepts

# Every task on every Python; licenses rotate through the combinations so each one is baked,
# and the last combination carries the longest allowed name (line lengths, paths).
SUPPORTED = [
    {"task": task, "python_version": python, "license": PROMPTS["license"][i % 3]}
    for i, (task, python) in enumerate(
        itertools.product(PROMPTS["task"], PROMPTS["python_version"])
    )
]
SUPPORTED[-1]["project"] = LONGEST

# Answers the pre-gen hook must refuse, with the words its one-line message must contain.
REFUSED = [
    ({"project": "My Project!"}, "project 'My Project!'"),
    ({"project": "My_Project"}, "project 'My_Project'"),
    ({"project": "a" * 31}, "at most 30 characters"),
    ({"package": "2fast"}, "package '2fast'"),
    ({"package": "class"}, "package 'class' would shadow"),
    ({"package": "json"}, "package 'json' would shadow"),
    ({"package": "mlflow"}, "package 'mlflow' would shadow"),
    ({"email": "not-an-email"}, "email 'not-an-email'"),
    ({"github_owner": "-bad-"}, "github_owner '-bad-'"),
    ({"author": "two\nlines"}, "author 'two\\nlines'"),
    ({"author": "   "}, "author '   '"),
]


def label(options: dict) -> str:
    """A short test id for a combination."""
    return "-".join(str(value) for value in options.values())
