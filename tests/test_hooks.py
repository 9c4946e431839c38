"""Unit tests of the pre-gen hook's validation, without baking."""

import json

import pytest

from hooks.pre_gen_project import main, problems
from tests.matrix import REFUSED, ROOT

DEFAULTS = {
    "project_name": "Gated Model",
    "project": "gated-model",
    "package": "gated_model",
    "author": "Jane Doe",
    "email": "jane.doe@example.com",
    "github_owner": "your-org",
    "task": "classification",
    "data_source": "demo",
    "target": "",
    "python_version": "3.11",
    "license": "MIT",
}


def test_the_defaults_pass():
    assert problems(DEFAULTS) == []


@pytest.mark.parametrize("change, words", REFUSED, ids=[w for _, w in REFUSED])
def test_each_bad_answer_is_named(change, words):
    answers = {**DEFAULTS, **change}
    found = problems(answers)
    assert found and words in found[0]


@pytest.mark.parametrize("name, value", [("task", "clustering"), ("python_version", "3.10")])
def test_choices_outside_the_matrix_are_refused(name, value):
    assert f"{name} {value!r} is not supported" in problems({**DEFAULTS, name: value})[0]


def test_main_prints_one_line_and_exits_1(capsys):
    assert main({**DEFAULTS, "email": "x"}) == 1
    assert capsys.readouterr().err == "ERROR: email 'x' is not an email address\n"


def test_hook_choices_match_cookiecutter_json():
    from hooks.pre_gen_project import CHOICES

    prompts = json.loads((ROOT / "cookiecutter.json").read_text())
    assert {name: set(prompts[name]) for name in CHOICES} == CHOICES


def test_hostile_free_text_is_accepted_by_validation():
    assert problems({**DEFAULTS, "author": 'O\'Brien "Bob" \\ Ðurić 李 {{ x }}'}) == []


def test_your_own_file_may_be_a_url_with_a_query():
    answers = {**DEFAULTS, "data_source": "https://example.org/t.parquet?sig=abc", "target": "y"}
    assert problems(answers) == []
