"""The judgements of the explain, governance and comparing gates, on figures made up here."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package }} import core, io, jobs

ROWS = 600


def table(task: str) -> tuple[pd.DataFrame, pd.Series]:
    """Inputs with a weak signal, pure noise, and an outcome in disguise (``leak``)."""
    rng = np.random.default_rng(0)
    signal = rng.normal(size=ROWS)
    noise = rng.normal(size=(ROWS, 2))
    if task == "classification":
        y = pd.Series((signal + rng.normal(scale=2, size=ROWS) > 0).astype(int))
        leak = y.map({0: "held", 1: "released"})
    else:
        y = pd.Series(50 + 10 * signal + rng.normal(scale=20, size=ROWS))
        leak = 2 * y + 3
    x = pd.DataFrame({"weak": signal, "noise": noise[:, 0], "id": np.arange(ROWS), "leak": leak})
    return x, y


@pytest.mark.parametrize("task, bar", [("classification", 0.99), ("regression", 0.98)])
def test_an_input_that_alone_predicts_the_target_is_a_leakage_alarm(task, bar):
    x, y = table(task)
    half = ROWS // 2
    scores = core.explain.alone(x[:half], y[:half], x[half:], y[half:], task, seed=0)
    share = pd.Series({"leak": 0.4, "weak": 0.6})
    metric = core.explain.ALONE_METRIC[task]
    (alarm,) = core.explain.leaks(scores, share, metric, bar)
    assert alarm.startswith("'leak' carries 40% of the importance and alone predicts the target")
    assert f"with {metric} {scores['leak']:.3f} on the holdout" in alarm
    assert alarm.endswith(f"(leakage_score {bar:g}): a leakage alarm")
    assert scores[["weak", "noise", "id"]].max() < 0.9, scores


def test_inputs_without_a_leak_raise_no_alarm():
    x, y = table("classification")
    x = x.drop(columns="leak")
    scores = core.explain.alone(x[:300], y[:300], x[300:], y[300:], "classification", seed=0)
    assert core.explain.leaks(scores, pd.Series(dtype=float), "roc_auc", 0.99) == []


def test_no_input_of_the_project_data_gives_the_target_away(fitted, policy):
    parts = fitted.parts
    scores = core.explain.alone(
        parts.x_train, parts.y_train, parts.x_holdout, parts.y_holdout, policy.task, seed=0
    )
    assert scores.max() < policy.gates.explain.leakage_score, scores


def test_top_drivers_keeping_enough_of_the_champions_pass_and_fewer_fail():
    before = ["checks", "employed", "citizen"]
    assert core.explain.unstable(["checks", "age", "employed"], before, min_kept=2) is None
    moved = core.explain.unstable(["checks", "age", "year"], before, min_kept=2)
    assert "keep only 1 of the champion's 3" in moved and moved.endswith("(at least 2)")


def groups_and_truth() -> tuple[pd.Series, np.ndarray]:
    """Group a is released 80% of the time, group b 50%: their own outcomes differ by 0.3."""
    groups = pd.Series(["a"] * 10 + ["b"] * 10)
    y = np.array([1] * 8 + [0] * 2 + [1] * 5 + [0] * 5)
    return groups, y


def test_a_bound_below_the_datas_own_outcome_gap_cannot_be_met():
    groups, y = groups_and_truth()
    floor = core.fairness.floor("demographic_parity_difference", y, groups)
    assert floor == pytest.approx(0.3)
    assert core.fairness.floor("equalized_odds_difference", y, groups) == 0
    measured = [
        core.fairness.Measured("colour", "demographic_parity_difference", 0.02, floor, 0.05)
    ]
    problems, _ = core.fairness.judge(measured, ["colour"])
    assert problems == [
        "demographic_parity_difference by colour: the data's own outcomes differ by 0.3 between "
        "groups, so no accurate model can meet the bound 0.05; bound equalized_odds_difference "
        "instead, or raise the bound"
    ]


def test_a_measure_beyond_its_bound_fails_and_within_it_passes():
    groups, y = groups_and_truth()
    predicted = np.array([1] * 10 + [0] * 10)  # releases everyone in a, no one in b
    value = core.fairness.measure("equalized_odds_difference", y, predicted, None, groups)
    over = core.fairness.Measured("sex", "equalized_odds_difference", value, 0.0, 0.08)
    within = core.fairness.Measured("sex", "equalized_odds_difference", 0.05, 0.0, 0.08)
    assert core.fairness.judge([over], ["sex"])[0] == [
        "equalized_odds_difference by sex is 1 (at most 0.08)"
    ]
    problems, detail = core.fairness.judge([within], ["sex"])
    assert problems == [] and "equalized_odds_difference by sex 0.05" in detail


def test_no_sensitive_attribute_passes_and_says_so():
    problems, detail = core.fairness.judge([], [])
    assert problems == [] and detail.startswith("no sensitive attribute is declared")


def test_the_policy_bounds_are_reachable_on_the_project_data(project, policy, fitted):
    frame, _ = io.data.load_dataset(project, policy)
    y = fitted.parts.y_holdout.to_numpy()
    for column in policy.data.sensitive:
        groups = frame.loc[fitted.parts.x_holdout.index, column]
        for name, bound in policy.gates.governance.fairness.items():
            assert core.fairness.floor(name, y, groups) <= bound, (column, name)


def test_a_champion_of_another_schema_is_named_with_the_columns_added_and_removed():
    assert core.comparison.schema_change("3", ["a", "b"], ["b", "a"], "inputs") is None
    reason = core.comparison.schema_change("3", ["a", "b"], ["a", "c"], "inputs")
    assert reason.startswith(
        "the champion (version 3) was trained on inputs ['a', 'b']; the candidate's inputs "
        "add ['c'] and remove ['b']: the comparison cannot run like for like"
    )
    assert "`make promote` after review" in reason


def test_rows_whose_sensitive_value_is_missing_belong_to_no_group():
    y = np.array([0, 1, 0, 1, 1, 0])
    predicted = np.array([0, 1, 1, 1, 0, 0])
    groups = pd.Series(["a", "a", "b", "b", "", None])
    known = core.fairness.measure("accuracy_gap", y[:4], predicted[:4], None, groups[:4])
    assert core.fairness.measure("accuracy_gap", y, predicted, None, groups) == known
    table = core.fairness.by_group("classification", y, predicted, predicted * 1.0, groups)
    assert list(table.index) == ["a", "b"] and table["rows"].tolist() == [2, 2]


def test_a_gate_that_breaks_fails_alone_and_old_verdicts_are_cleared(tmp_path, monkeypatch):
    def broken(root):
        raise TypeError("unsupported operand\nmore detail")

    stale = tmp_path / "reports" / "gates" / "standards.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("### ✅ standards: passed\n")
    monkeypatch.setitem(jobs.gates.GATES, "standards", broken)
    monkeypatch.setitem(
        jobs.gates.GATES, "onnx", lambda root: core.gates.GateResult("onnx", True, "ok")
    )
    first, second = jobs.gates.run_all(tmp_path, ["standards", "onnx"])
    assert not first.passed and second.passed
    assert first.reason.startswith(
        "the gate stopped on an unexpected TypeError: unsupported operand ("
    )
    assert "FAILED" in stale.read_text()
