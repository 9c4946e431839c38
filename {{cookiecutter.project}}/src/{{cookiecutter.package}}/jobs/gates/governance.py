"""Gate ``governance``: model card, fairness, data quality and drift, privacy, lineage.

Each is a named check with its own verdict in the report; the gate passes when all do.
"""

import tempfile
from pathlib import Path

import pandas as pd

from ...core.comparison import schema_change
from ...core.fairness import Measured, floor, judge, measure
from ...core.gates import GateResult, Table, listing
from ...core.metrics import outputs
from ...core.privacy import forbidden_features, pii_values
from ...io import registry
from ...io.drift import data_report
from .. import Holdout, holdout, review
from ..card import card_lineage, human_parts, lineage, unfinished


def check(root: Path) -> GateResult:
    """Run every check and collect their verdicts in one table."""
    data = holdout(root)
    checks = {
        "model card": model_card(root),
        "fairness": fairness(data),
        "data quality and drift": data_quality(root, data),
        "privacy": privacy(data),
        "lineage": lineage_agrees(root, data),
    }
    table = Table(
        ["check", "verdict", "detail"],
        [
            [name, "fail" if problems else "pass", listing(problems) or detail]
            for name, (problems, detail) in checks.items()
        ],
    )
    failed = {name: problems for name, (problems, _) in checks.items() if problems}
    figures = {name: detail for name, (_, detail) in checks.items()}
    if failed:
        reason = "; ".join(f"{name}: {listing(problems, 2)}" for name, problems in failed.items())
        return GateResult("governance", False, reason, figures, table)
    return GateResult("governance", True, f"all {len(checks)} checks passed.", figures, table)


def model_card(root: Path) -> tuple[list[str], str]:
    """The team's parts of the card are written, and the card exists."""
    problems = unfinished(human_parts(root)) + review.problems(root)
    return problems, "every human-written part is filled in and reviewed for this data"


def fairness(data: Holdout) -> tuple[list[str], str]:
    """Between-group measures of each sensitive attribute within bounds an exact model meets."""
    return judge(fairness_figures(data, data.candidate()), data.rules.data.sensitive)


def fairness_figures(data: Holdout, model) -> list[Measured]:
    """Each bounded measure over each sensitive attribute, for ``model`` and for the truth."""
    rules = data.rules
    y = data.y.to_numpy()
    predicted, scores = outputs(model, data.x, rules.task)
    return [
        Measured(
            column,
            name,
            measure(name, y, predicted, scores, data.groups(column)),
            floor(name, y, data.groups(column)),
            bound,
        )
        for column in rules.data.sensitive
        for name, bound in rules.gates.governance.fairness.items()
    ]


def data_quality(root: Path, data: Holdout) -> tuple[list[str], str]:
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
    expected = int(current[nullable].isna().sum().sum())
    figures["missing_values"] = max(0, figures["missing_values"] - expected)
    problems = [] if changed is None else [changed]
    problems += [
        f"{figures[key]} {label}"
        for key, label in [
            ("missing_values", "missing values"),
            ("constant_columns", "constant columns"),
            ("duplicated_columns", "duplicated columns"),
            ("empty_columns", "empty columns"),
        ]
        if figures[key]
    ]
    if figures["drift_share"] is None:
        drift = "no champion yet, so drift was not judged"
    else:
        drift = f"{figures['drift_share']:.0%} of columns drifted from champion data"
        if figures["drift_share"] > limit:
            problems.append(f"{drift} (at most {limit:.0%})")
    gaps = f" ({expected} missing where schema.yaml allows them)" if expected else ""
    return problems, f"no missing, constant, duplicated or empty columns{gaps}; {drift}"


def privacy(data: Holdout) -> tuple[list[str], str]:
    """No forbidden or unallowed sensitive inputs, and no personal data in text columns."""
    rules, features = data.rules, data.record["features"]
    problems = [
        f"input '{name}' matches a forbidden column pattern"
        for name in forbidden_features(features, rules.gates.governance.forbidden_features)
    ]
    problems += [
        f"sensitive '{name}' is an input but not in sensitive_as_features"
        for name in features
        if name in rules.data.excluded_features
    ]
    problems += pii_values(data.frame)
    return problems, "no forbidden inputs and no personal data found in text columns"


def lineage_agrees(root: Path, data: Holdout) -> tuple[list[str], str]:
    """Record, MLflow run and model card name the same run, commit, data and lock."""
    expected = lineage(data.record)
    tags = registry.run_tags(expected["run_id"])
    sources = {
        "MLflow run": {**tags, "run_id": expected["run_id"]},
        "MODEL_CARD.md": card_lineage(root),
    }
    problems = []
    for source, values in sources.items():
        for key, value in expected.items():
            if key in values and values[key] != value:
                problems.append(
                    f"{key} is {str(value)[:12]} in the record, {str(values[key])[:12]} in {source}"
                )
    return problems, "record, MLflow run and model card agree on run, commit, data and lock"
