"""Gate ``governance``: model card, fairness, data quality and drift, privacy, lineage.

Each is a named check with its own verdict in the report; the gate passes when all do. The
figures are gathered here and judged in ``core.governance``.
"""

import tempfile
from pathlib import Path

import pandas as pd

from ...core import governance
from ...core.comparison import schema_change
from ...core.fairness import judge
from ...core.gates import GateResult
from ...io import registry
from ...io.card import card_lineage, human_parts
from ...io.drift import data_report
from .. import Holdout, holdout, review


def check(root: Path) -> GateResult:
    """Run every check and collect their verdicts in one table."""
    data = holdout(root)
    expected = data.record.lineage()
    sources = {
        "MLflow run": {**registry.run_tags(expected["run_id"]), "run_id": expected["run_id"]},
        "MODEL_CARD.md": card_lineage(root),
    }
    return governance.verdict(
        {
            "model card": governance.model_card(human_parts(root), review.problems(root)),
            "fairness": judge(data.fairness(data.candidate()), data.rules.data.sensitive),
            "data quality and drift": data_quality(root, data),
            "privacy": governance.privacy(data.record.features, data.frame, data.rules),
            "lineage": governance.lineage(expected, sources),
        }
    )


def data_quality(root: Path, data: Holdout) -> governance.Check:
    """Evidently's quality figures on the data, and drift from the champion's training data."""
    champion = registry.champion()
    current, reference, changed = data.frame, None, None
    limit = data.rules.gates.governance.max_drift_share
    with tempfile.TemporaryDirectory() as scratch:
        if champion is not None:
            # The champion's data was checked against the schema of its day: read it as it is,
            # and compare the columns both have.
            path = registry.training_data(champion["run_id"], Path(scratch))
            reference = pd.read_csv(path, dtype=data.schema.read_dtypes())
            changed = schema_change(
                champion["version"], list(reference.columns), list(current.columns), "data columns"
            )
            shared = [name for name in current.columns if name in reference.columns]
            current, reference = current[shared], reference[shared]
        figures = data_report(root, current, reference, data.schema, limit)
    # schema.yaml allows gaps in its nullable columns (and every load checked the others).
    nullable = [c.name for c in data.schema.columns if c.nullable and c.name in current.columns]
    allowed = int(current[nullable].isna().sum().sum())
    return governance.data_quality(figures, allowed, changed, data.rules)
