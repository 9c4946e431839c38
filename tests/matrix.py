"""The option matrix, as data: what must bake and pass its gates, and what must be refused."""

import itertools
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = json.loads((ROOT / "cookiecutter.json").read_text())

DEFAULT_PYTHON = PROMPTS["python_version"][0]
# Project names of many lengths: generated code must not depend on them (black, flake8, paths).
# The first combination keeps the default name (11 characters); the last has the longest the
# pre-gen hook accepts (a Kubernetes name, 63 characters).
LONGEST = "a-project-name-as-long-as-a-kubernetes-name-may-be-63-characters"[:63]
NAMES = [None, "a", "ab", "xyz", None, "ten-chars0", None, "b", LONGEST]

# Every task on every Python; licenses and names rotate through the combinations.
SUPPORTED = [
    {"task": task, "python_version": python, "license": PROMPTS["license"][i % 3]}
    | ({"project": NAMES[i]} if NAMES[i] else {})
    for i, (task, python) in enumerate(
        itertools.product(PROMPTS["task"], PROMPTS["python_version"])
    )
]

# Answers the pre-gen hook must refuse, with the words its one-line message must contain.
REFUSED = [
    ({"project": "My Project!"}, "project 'My Project!'"),
    ({"project": "My_Project"}, "project 'My_Project'"),
    ({"project": "a" * 64}, "at most 63 characters"),
    ({"package": "2fast"}, "package '2fast'"),
    ({"package": "class"}, "package 'class' would shadow"),
    ({"package": "json"}, "package 'json' would shadow"),
    ({"package": "mlflow"}, "package 'mlflow' would shadow"),
    ({"email": "not-an-email"}, "email 'not-an-email'"),
    ({"github_owner": "-bad-"}, "github_owner '-bad-'"),
    ({"author": "two\nlines"}, "author 'two\\nlines'"),
    ({"author": "   "}, "author '   '"),
    ({"target": "y"}, "target 'y' is for your own data"),
    ({"data_source": "data.xlsx", "target": "y"}, "data_source 'data.xlsx' must be"),
    ({"data_source": "/nowhere/data.csv", "target": "y"}, "data_source '/nowhere/data.csv' does"),
    ({"data_source": "data/raw.csv"}, "target: name the column"),
]


def label(options: dict) -> str:
    """A short test id for a combination."""
    return "-".join(str(value) for value in options.values())
