"""Consistency instead of crashes: a policy naming a column the data lacks, a champion of
another schema. One trained classification project; every change is undone with git."""

import pytest

from tests.conftest import attempt, run
from tests.test_gates import ENV, add_column, edit, gate, package, reset, trained  # noqa: F401

pytestmark = pytest.mark.xdist_group("consistency")  # one worker, one trained project

COMPARING = {"accuracy": "inputs", "explain": "inputs", "governance": "data columns"}


def test_a_policy_naming_a_column_the_data_lacks_stops_with_one_line(trained):  # noqa: F811
    project = trained("classification")
    edit(project / "policy.yaml", "sensitive: [colour, sex]", "sensitive: [colour, sex, race]")
    done = attempt(f"uv run --locked python -m {package(project).name} card", project, ENV)
    reset(project)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "error: policy.yaml: data.sensitive names 'race', which the data does not have "
        "(columns: released, colour, year, age, sex, employed, citizen, checks)"
    )


def test_a_champion_of_another_schema_is_named_by_every_comparing_gate(trained):  # noqa: F811
    project = trained("classification")
    run("make promote", cwd=project, env=ENV)
    add_column(
        project,
        'frame["weekday"] = frame["age"] % 7',
        'Column(name="weekday", kind="integer", min=0, max=6)',
    )
    reports = {name: gate(project, name) for name in COMPARING}
    reset(project)
    for name, what in COMPARING.items():
        report = reports[name]
        assert not report["passed"], report
        assert f"the candidate's {what} add ['weekday']: the comparison cannot" in (
            report["reason"]
        )
        assert "`make promote` after review" in report["reason"]
