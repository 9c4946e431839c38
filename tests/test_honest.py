"""The accuracy gate judges the model that is served, on an honest holdout.

Each test makes one realistic bad change to the shared trained project, retrains, and checks
that the accuracy gate turns red with the figures in its reason. Every change here leaves the
policy's thresholds met: only the served-model and holdout checks can see it. The changes and
the reasons they must give are shared with the act tests of the pull-request workflow.
"""

import re
from pathlib import Path

import pytest

from tests.conftest import run
from tests.project import ENV, changed, edit, gate, package

RETRAIN = "make train evaluate export"

# What the accuracy gate's reason must say of each change, figures included.
RECODED = (
    r"the served model \(model/model\.onnx on the raw holdout rows",
    r"scores roc_auc 0\.6\d+ \(record 0\.70\d*\), log_loss 0\.4\d+",
)
FITTED_ON_HOLDOUT = (
    r"the model was fitted on all 5226 rows of data/, the 1307 holdout rows included",
)


def recode_input(project: Path) -> None:
    """A data-cleaning step in the split recodes `employed` ("Yes" -> "1"): training and
    evaluation see the new codes, the service the raw values, which the model never saw."""
    edit(
        package(project) / "io" / "data.py",
        "        frame[features],\n",
        '        frame[features].replace({"employed": {"Yes": "1", "No": "0"}}),\n',
    )


def fit_on_holdout(project: Path) -> None:
    """ "Use all the data for the final model": the holdout scores then measure memory."""
    train = package(project) / "jobs" / "train.py"
    edit(train, "from pathlib import Path\n", "from pathlib import Path\n\nimport pandas as pd\n")
    edit(
        train,
        "x, y = parts.x_train, parts.y_train",
        "x, y = pd.concat([parts.x_train, parts.x_holdout]), "
        "pd.concat([parts.y_train, parts.y_holdout])",
    )


def says(reason: str, patterns: tuple[str, ...]) -> bool:
    return all(re.search(pattern, reason) for pattern in patterns)


@pytest.mark.xdist_group("gates-b")
class TestHonest:
    def test_an_input_recoded_for_training_but_not_for_the_service_fails(self, trained):
        project = trained("classification")
        with changed(project):
            recode_input(project)
            run(RETRAIN, cwd=project, env=ENV)
            report = gate(project, "accuracy")
        reason = report["reason"]
        assert not report["passed"] and "misses the threshold" not in reason, reason
        assert says(reason, RECODED), reason

    def test_a_model_fitted_on_the_holdout_rows_fails(self, trained):
        project = trained("classification")
        with changed(project):
            fit_on_holdout(project)
            run(RETRAIN, cwd=project, env=ENV)
            report = gate(project, "accuracy")
        assert not report["passed"]
        assert says(report["reason"], FITTED_ON_HOLDOUT), report["reason"]
