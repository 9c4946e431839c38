"""The accuracy gate judges the model that is served, on an honest holdout.

Each test makes one realistic bad change to the shared trained project, retrains, and checks
that the accuracy gate turns red with the figures in its reason. Every change here leaves the
policy's thresholds met: only the served-model and holdout checks can see it.
"""

import re

import pytest

from tests.conftest import run
from tests.project import ENV, changed, edit, gate, package

RETRAIN = "make train evaluate export"
FIT = "x, y = parts.x_train, parts.y_train"


@pytest.mark.xdist_group("gates-b")
class TestHonest:
    def test_an_input_recoded_for_training_but_not_for_the_service_fails(self, trained):
        """A data-cleaning step in the split recodes `employed` ("Yes" -> "1"): training and
        evaluation see the new codes, the service the raw values, which the model never saw."""
        project = trained("classification")
        with changed(project):
            edit(
                package(project) / "io" / "data.py",
                "        frame[features],\n",
                '        frame[features].replace({"employed": {"Yes": "1", "No": "0"}}),\n',
            )
            run(RETRAIN, cwd=project, env=ENV)
            report = gate(project, "accuracy")
        reason = report["reason"]
        assert not report["passed"] and "misses the threshold" not in reason, reason
        assert re.search(r"the served model \(model/model\.onnx on the raw holdout rows", reason)
        assert re.search(r"scores roc_auc 0\.6\d+ \(record 0\.70\d*\), log_loss 0\.4\d+", reason)

    def test_a_model_fitted_on_the_holdout_rows_fails(self, trained):
        """ "Use all the data for the final model": the holdout scores then measure memory."""
        project = trained("classification")
        train = package(project) / "jobs" / "train.py"
        with changed(project):
            edit(
                train,
                "from pathlib import Path\n",
                "from pathlib import Path\n\nimport pandas as pd\n",
            )
            edit(
                train,
                FIT,
                "x, y = pd.concat([parts.x_train, parts.x_holdout]), "
                "pd.concat([parts.y_train, parts.y_holdout])",
            )
            run(RETRAIN, cwd=project, env=ENV)
            report = gate(project, "accuracy")
        assert not report["passed"]
        assert (
            "the model was fitted on all 5226 rows of data/, the 1307 holdout rows included"
            in report["reason"]
        )
