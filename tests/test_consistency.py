"""Consistency instead of crashes, on the shared trained project: a policy naming a column the
data lacks is one line; a champion of another schema is named by every comparing gate."""

import pytest

from tests.conftest import attempt, run
from tests.project import ENV, add_column, changed, edit, gate


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

    def test_a_champion_of_another_schema_is_named_by_every_comparing_gate(self, trained):
        project = trained("classification")
        comparing = {"accuracy": "inputs", "explain": "inputs", "governance": "data columns"}
        with changed(project):
            run("make promote", cwd=project, env=ENV)
            add_column(
                project,
                'frame["weekday"] = frame["age"] % 7',
                "- {name: weekday, kind: integer, min: 0, max: 6}",
            )
            reports = {name: gate(project, name) for name in comparing}
        for name, what in comparing.items():
            reason = reports[name]["reason"]
            assert not reports[name]["passed"], reason
            assert f"the candidate's {what} add ['weekday']: the comparison cannot" in reason
            assert "`make promote` after review" in reason
