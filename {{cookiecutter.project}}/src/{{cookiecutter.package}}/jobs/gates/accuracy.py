"""Gate ``accuracy``: the candidate against the policy's thresholds and against the champion."""

from pathlib import Path

from ...core.comparison import paired_bootstrap, schema_change
from ...core.gates import GateResult, Table, listing
from ...core.metrics import (
    METRICS,
    is_better_or_equal,
    outputs,
    score_all,
)
from ...core.policy import Policy
from ...io import registry
from .. import Holdout, holdout

# "gain" is candidate minus champion, signed so that positive means better for every metric.
COLUMNS = ["metric", "threshold", "candidate", "champion", "gain", "gain interval", "verdict"]


def check(root: Path) -> GateResult:
    """Score candidate and champion on the same holdout; judge thresholds and the difference."""
    data = holdout(root)
    rules, y = data.rules, data.y.to_numpy()
    candidate = outputs(data.candidate(), data.x, rules.task)
    scores = score_all(rules.task, y, *candidate)
    champion, model, changed = rival(data)
    rival_outputs = None if model is None else outputs(model, data.x, rules.task)

    failures, rows = [], []
    for name, threshold in rules.thresholds.items():
        row, problems = _judge(
            name, threshold.bound, scores[name], y, candidate, rival_outputs, rules
        )
        rows.append(row)
        failures += problems
    figures = {
        "candidate": {"version": data.record["model"]["version"], "metrics": scores},
        "champion": champion,
        "holdout_rows": len(y),
    }
    table = Table(COLUMNS, rows)
    if changed is not None:
        failures.append(changed)
    if failures:
        reason = f"candidate rejected: {listing(failures)}"
        return GateResult("accuracy", False, reason, figures, table)
    if champion is None:
        reason = "no champion yet: judged on the policy's thresholds alone, all met."
    else:
        reason = (
            f"all thresholds met, and no metric worse than champion version "
            f"{champion['version']} beyond its tolerance on {len(y)} holdout rows."
        )
    return GateResult("accuracy", True, reason, figures, table)


def rival(data: Holdout) -> tuple[dict | None, object, str | None]:
    """The champion, its model if it takes the candidate's inputs, and why not if it does not.

    A champion trained on other inputs cannot be scored on today's holdout: its model is then
    None and the reason names the columns added and removed.
    """
    champion = registry.champion()
    if champion is None:
        return None, None, None
    model = registry.load_model(champion["uri"])
    names = getattr(model, "feature_names_in_", None)
    before = list(data.x.columns) if names is None else [str(name) for name in names]
    changed = schema_change(champion["version"], before, list(data.x.columns), "inputs")
    return champion, (model if changed is None else None), changed


def _judge(name, bound, value, y, candidate, rival, rules: Policy) -> tuple[list, list[str]]:
    problems = []
    sign = ">=" if METRICS[name].higher_is_better else "<="
    if not is_better_or_equal(name, value, bound):
        problems.append(f"{name} {value:.4g} misses the threshold {sign} {bound:g}")
    if rival is None:
        return [name, f"{sign} {bound:g}", value, None, None, None, _verdict(problems)], problems
    settings = rules.gates.accuracy
    pick = 1 if METRICS[name].uses_scores else 0
    difference = paired_bootstrap(
        name,
        y,
        candidate[pick],
        rival[pick],
        settings.bootstrap_samples,
        settings.confidence,
        rules.data.seed,
    )
    tolerance = settings.champion_tolerance[name]
    if difference.worse_beyond(tolerance):
        problems.append(
            f"{name} is worse than the champion by {-difference.delta:.4g} "
            f"(interval {difference.low:.4g} to {difference.high:.4g}, tolerance {tolerance:g})"
        )
    champion_value = value - difference.delta * (1 if METRICS[name].higher_is_better else -1)
    interval = f"{difference.low:+.4g} to {difference.high:+.4g}"
    row = [name, f"{sign} {bound:g}", value, champion_value, difference.delta, interval]
    return row + [_verdict(problems)], problems


def _verdict(problems: list[str]) -> str:
    return "fail" if problems else "pass"
