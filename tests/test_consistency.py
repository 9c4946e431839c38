"""Consistency instead of crashes, on the shared trained project: a policy naming a column the
data lacks is one line (a champion of another schema: tests/test_gates.py, TestExplain)."""

import pytest

from tests.conftest import attempt
from tests.project import ENV, changed, edit


@pytest.mark.xdist_group("gates-b")
class TestConsistency:
    def test_a_policy_naming_a_column_the_data_lacks_stops_with_one_line(self, trained):
        project = trained("classification")
        with changed(project):
            edit(project / "policy.yaml", "sensitive: [colour, sex]", "sensitive: [colour, race]")
            done = attempt("make card", project, ENV)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert (
            "error: policy.yaml: data.sensitive names 'race', which the data does not have "
            "(columns: released, colour, year, age, sex, employed, citizen, checks)"
        ) in done.stderr.splitlines()
