"""The accuracy gate's judgements beyond its thresholds, on figures made up here, at the edges."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package }} import core, jobs

PROJECT = Path(__file__).resolve().parents[1]
Rows, Judged = core.accuracy.Rows, core.accuracy.Judged
FIT, HOLDOUT, EVERYTHING = Rows(300, "f" * 64), Rows(100, "h" * 64), Rows(400, "e" * 64)
SPLIT = {"fit": {"rows": 300, "sha256": "f" * 64}, "holdout": {"rows": 100, "sha256": "h" * 64}}
RECORDED = core.record.Split.model_validate(SPLIT)


def test_served_scores_within_the_tolerance_of_the_record_pass_and_beyond_it_fail():
    recorded = {"roc_auc": 0.70, "log_loss": 0.42}
    assert (
        core.accuracy.served_mismatch({"roc_auc": 0.7009, "log_loss": 0.42}, recorded, 1e-3) is None
    )
    reason = core.accuracy.served_mismatch({"roc_auc": 0.6680, "log_loss": 0.4530}, recorded, 1e-3)
    assert "scores roc_auc 0.668 (record 0.7), log_loss 0.453 (record 0.42)" in reason
    assert "beyond the tolerance 0.001" in reason
    large = {"mse": 2842.75}  # relative to the value: float32 moves an MSE in the thousands
    assert core.accuracy.served_mismatch({"mse": 2842.76}, large, 1e-3) is None
    assert "mse 2846 (record 2843)" in core.accuracy.served_mismatch({"mse": 2846.0}, large, 1e-3)


def test_a_record_without_a_served_metric_is_named():
    reason = core.accuracy.served_mismatch({"roc_auc": 0.7, "f1": 0.5}, {"roc_auc": 0.7}, 1e-3)
    assert reason == "the record has no f1 (run `make evaluate`)"


@pytest.mark.parametrize(
    "name, baseline, model, passes",
    [
        ("roc_auc", 0.5, 0.55, True),  # better by exactly the margin
        ("roc_auc", 0.5, 0.549, False),
        ("log_loss", 0.457, 0.407, True),  # lower is better
        ("log_loss", 0.457, 0.408, False),
    ],
)
def test_the_model_must_beat_the_baseline_by_the_margin(name, baseline, model, passes):
    problems = core.accuracy.short_of_baseline(
        {name: model}, {name: baseline}, {name: 0.05}, "the majority-class baseline"
    )
    assert (problems == []) == passes, problems
    if not passes:
        assert problems[0].startswith(f"{name} {model:.4g} is not better than the majority-class")
        assert "by the margin 0.05" in problems[0]


def test_a_model_fitted_on_the_training_split_and_judged_on_the_holdout_is_honest():
    assert core.accuracy.dishonest_split(RECORDED, FIT, HOLDOUT, EVERYTHING, shared=0) == []


def test_a_model_fitted_on_every_row_fails_naming_the_holdout_rows():
    fitted_on_all = core.record.Split.model_validate(
        {**SPLIT, "fit": {"rows": 400, "sha256": "e" * 64}}
    )
    (problem,) = core.accuracy.dishonest_split(fitted_on_all, FIT, HOLDOUT, EVERYTHING, shared=0)
    assert problem.startswith("the model was fitted on all 400 rows of data/, the 100 holdout")


def test_a_model_fitted_or_judged_on_other_rows_fails_with_both_fingerprints():
    other = core.record.Split.model_validate(
        {"fit": {"rows": 320, "sha256": "a" * 64}, "holdout": {"rows": 80, "sha256": "b" * 64}}
    )
    judged, fitted = core.accuracy.dishonest_split(other, FIT, HOLDOUT, EVERYTHING, shared=0)
    assert judged.startswith(f"the model was judged on 80 rows ({'b' * 12}), not on the holdout")
    assert judged.endswith(f"gives, 100 rows ({'h' * 12})")
    assert fitted.startswith(f"the model was fitted on 320 rows ({'a' * 12}), not on the training")


def test_a_record_without_fingerprints_or_a_split_sharing_rows_fails():
    (missing,) = core.accuracy.dishonest_split(None, FIT, HOLDOUT, EVERYTHING, shared=0)
    assert "retrain with `make train evaluate`" in missing
    (shared,) = core.accuracy.dishonest_split(RECORDED, FIT, HOLDOUT, EVERYTHING, shared=3)
    assert "puts 3 rows both in training and in holdout" in shared


def test_the_holdout_against_the_champions():
    ours = Judged("h" * 64, "d" * 64, "holdout 0.25, seed 42")
    same = core.accuracy.holdout_change(ours, ours, "3")
    assert same == (None, "the holdout is the one champion version 3 was judged on")
    missing = core.accuracy.holdout_change(ours, Judged("", "", ""), "3")
    assert missing[0] is None and "carries no holdout fingerprint" in missing[1]
    data = core.accuracy.holdout_change(ours, Judged("x" * 64, "c" * 64, ours.split), "3")
    assert data[0] is None and data[1].endswith(
        f"the data changed (sha256 {'c' * 12} became {'d' * 12})"
    )
    split = core.accuracy.holdout_change(
        ours, Judged("x" * 64, "d" * 64, "holdout 0.2, seed 1"), "3"
    )
    assert split[0] is None and "split changed (holdout 0.2, seed 1 became holdout 0.25" in split[1]
    problem, _ = core.accuracy.holdout_change(ours, Judged("x" * 64, "d" * 64, ours.split), "3")
    assert "though the data and the policy's split are the same: the split code changed" in problem


def write_policy(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load((PROJECT / "policy.yaml").read_text())
    change(raw["gates"]["accuracy"])
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_a_negative_baseline_margin_or_one_for_another_metric_is_one_error(tmp_path):
    name = next(iter(core.policy.load_policy(PROJECT / "policy.yaml").thresholds))
    negative = write_policy(tmp_path, lambda gate: gate["baseline_margin"].update({name: -0.1}))
    with pytest.raises(
        core.ProjectError, match=rf"baseline_margin\.{name}: Input should be greater"
    ):
        core.policy.load_policy(negative)
    other = write_policy(tmp_path, lambda gate: gate.update(baseline_margin={"nothing": 0.1}))
    with pytest.raises(core.ProjectError, match="baseline_margin needs exactly the metrics of"):
        core.policy.load_policy(other)
    loose = write_policy(tmp_path, lambda gate: gate.update(served_tolerance=0))
    with pytest.raises(
        core.ProjectError, match=r"served_tolerance: Input should be greater than 0"
    ):
        core.policy.load_policy(loose)


def test_the_gate_without_a_trained_model_or_data_fails_with_one_line_naming_the_step(tmp_path):
    for name in ("policy.yaml", "schema.yaml"):
        shutil.copy(PROJECT / name, tmp_path / name)
    result = jobs.gates.run_gate("accuracy", tmp_path)
    assert not result.passed and "(run `make train evaluate`)" in result.reason
    (tmp_path / "model").mkdir()
    task = core.policy.load_policy(tmp_path / "policy.yaml").task
    model = {"name": "m", "version": "1", "run_id": "r"}
    record = {"model": model, "task": task, "features": [], "data_sha256": "d", "metrics": {}}
    (tmp_path / "model" / "record.json").write_text(json.dumps(record))
    result = jobs.gates.run_gate("accuracy", tmp_path)
    assert not result.passed and "(run `make data`)" in result.reason
    assert "\n" not in result.reason
