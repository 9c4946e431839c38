"""Verdicts of the governance gate: model card, fairness, data quality and drift, privacy, lineage.

Each check gives its problems (empty when it passes) and a one-line detail shown when it passes;
``verdict`` puts them in one table. ``jobs/gates/governance.py`` gathers the figures.
"""

import pandas as pd

from .card import unfinished
from .gates import GateResult, Table, listing
from .policy import Policy
from .privacy import forbidden_features, pii_values

Check = tuple[list[str], str]  # the problems found, and the detail when there are none
QUALITY = {
    "missing_values": "missing values",
    "constant_columns": "constant columns",
    "duplicated_columns": "duplicated columns",
    "empty_columns": "empty columns",
}


def model_card(parts: dict[str, object], stale: list[str]) -> Check:
    """The team's parts of the card are written, and reviewed for today's data (``stale``)."""
    problems = unfinished(parts) + stale
    return problems, "every human-written part is filled in and reviewed for this data"


def data_quality(
    figures: dict[str, float | None], allowed_gaps: int, changed: str | None, rules: Policy
) -> Check:
    """Evidently's quality counts, and the share of columns drifted from the champion's data.

    ``allowed_gaps`` missing values are where schema.yaml allows them; ``changed`` says why the
    champion's data has other columns; a ``drift_share`` of None means no champion.
    """
    counts = {key: int(figures[key] or 0) for key in QUALITY}
    counts["missing_values"] = max(0, counts["missing_values"] - allowed_gaps)
    problems = [] if changed is None else [changed]
    problems += [f"{counts[key]} {label}" for key, label in QUALITY.items() if counts[key]]
    limit = rules.gates.governance.max_drift_share
    share = figures["drift_share"]
    if share is None:
        drift = "no champion yet, so drift was not judged"
    else:
        drift = f"{share:.0%} of columns drifted from champion data"
        if share > limit:
            problems.append(f"{drift} (at most {limit:.0%})")
    gaps = f" ({allowed_gaps} missing where schema.yaml allows them)" if allowed_gaps else ""
    return problems, f"no missing, constant, duplicated or empty columns{gaps}; {drift}"


def privacy(features: list[str], frame: pd.DataFrame, rules: Policy) -> Check:
    """No forbidden or unallowed sensitive inputs, and no personal data in text columns."""
    problems = [
        f"input '{name}' matches a forbidden column pattern"
        for name in forbidden_features(features, rules.gates.governance.forbidden_features)
    ]
    problems += [
        f"sensitive '{name}' is an input but not in sensitive_as_features"
        for name in features
        if name in rules.data.excluded_features
    ]
    problems += pii_values(frame)
    return problems, "no forbidden inputs and no personal data found in text columns"


def lineage(expected: dict[str, str], sources: dict[str, dict[str, str | None]]) -> Check:
    """Every source states the record's lineage values (a value a source lacks is not judged)."""
    problems = [
        f"{key} is {str(value)[:12]} in the record, {str(values[key])[:12]} in {source}"
        for source, values in sources.items()
        for key, value in expected.items()
        if key in values and values[key] != value
    ]
    return problems, "record, MLflow run and model card agree on run, commit, data and lock"


def verdict(checks: dict[str, Check]) -> GateResult:
    """Every check's verdict in one table; the gate passes when all pass."""
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
