"""Each gate's verdict at its boundary, on figures made up here: no data, model or registry."""

from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package }} import core

POLICY = core.policy.load_policy(Path(__file__).resolve().parents[1] / "policy.yaml")
VALUES = pd.Series({"a": 0.5, "b": 0.3, "c": 0.15, "d": 0.05})  # importance, largest first


def tuned(gate: str, **settings) -> core.policy.Policy:
    """The project's policy with some settings of one gate changed."""
    section = getattr(POLICY.gates, gate).model_copy(update=settings)
    return POLICY.model_copy(update={"gates": POLICY.gates.model_copy(update={gate: section})})


def record(**changes) -> core.record.Record:
    """A record as `make train evaluate export` writes it, with ``changes``."""
    data = {
        "model": {"name": "model", "version": "3", "run_id": "run-3"},
        "task": POLICY.task,
        "features": ["a", "b"],
        "data_sha256": "a" * 64,
        "lock_sha256": "b" * 64,
        "metrics": {"m": 0.5},
        "onnx": {
            "file": "model/model.onnx",
            "sha256": "c" * 64,
            "model_sha256": "d" * 64,
            "bytes": 10,
        },
    }
    return core.record.Record.model_validate({**data, **changes})


# explain


def explain(single_best: float, champion_top=None, changed=None, **settings):
    rules = tuned("explain", **{"top_k": 3, "min_kept": 2, "forbidden_drivers": [], **settings})
    single = pd.Series({"a": single_best, "b": 0.6, "c": 0.55, "d": 0.5})
    return core.explain.verdict(VALUES, single, rules, champion_top, changed)


def test_explain_an_input_alone_just_below_the_leakage_score_passes_and_at_it_fails():
    bar = POLICY.gates.explain.leakage_score
    assert explain(bar - 1e-6).passed
    result = explain(bar)
    assert not result.passed and "'a' carries 50% of the importance" in result.reason
    assert result.reason.endswith("a leakage alarm.")


def test_explain_a_forbidden_driver_on_top_fails_and_one_below_passes():
    assert explain(0.6, forbidden_drivers=["d"]).passed
    result = explain(0.6, forbidden_drivers=["c"])
    assert not result.passed and "forbidden driver 'c' is among the top 3" in result.reason


def test_explain_keeping_just_enough_of_the_champions_drivers_passes_and_one_fewer_fails():
    kept = explain(0.6, champion_top=["a", "b", "x"])
    assert kept.passed and kept.reason.endswith("2 of the champion's top 3 drivers kept.")
    moved = explain(0.6, champion_top=["a", "x", "y"])
    assert not moved.passed and "keep only 1 of the champion's 3" in moved.reason


def test_explain_without_a_champion_judges_the_candidate_alone():
    result = explain(0.6)
    assert result.passed and "no champion yet, so stability was not judged" in result.reason
    assert result.figures["champion_top"] is None and result.figures["top"] == ["a", "b", "c"]


def test_explain_a_champion_with_other_inputs_fails_with_the_reason():
    result = explain(0.6, changed="the champion (version 3) was trained on inputs ['z']")
    assert not result.passed and "trained on inputs ['z']" in result.reason


# governance


def quality(drift_share, missing=0, allowed_gaps=0, changed=None):
    figures = {
        "drift_share": drift_share,
        "missing_values": missing,
        "constant_columns": 0,
        "duplicated_columns": 0,
        "empty_columns": 0,
    }
    return core.governance.data_quality(figures, allowed_gaps, changed, POLICY)


def test_governance_drift_at_the_limit_passes_and_beyond_it_fails():
    limit = POLICY.gates.governance.max_drift_share
    problems, detail = quality(limit)
    assert problems == [] and detail.endswith(f"{limit:.0%} of columns drifted from champion data")
    (problem,) = quality(limit + 0.01)[0]
    assert problem.endswith(f"(at most {limit:.0%})")


def test_governance_without_a_champion_judges_quality_alone():
    problems, detail = quality(None)
    assert problems == [] and detail.endswith("no champion yet, so drift was not judged")


def test_governance_missing_values_only_where_the_schema_allows_them_pass():
    problems, detail = quality(None, missing=4, allowed_gaps=4)
    assert problems == [] and "(4 missing where schema.yaml allows them)" in detail
    assert quality(None, missing=5, allowed_gaps=4)[0] == ["1 missing values"]


def test_governance_a_champion_with_other_columns_is_a_problem():
    assert quality(0.0, changed="other columns")[0] == ["other columns"]


def test_governance_an_unfinished_or_unreviewed_card_fails():
    parts = {key: "Written." for key in core.card.PARTS}
    assert core.governance.model_card(parts, [])[0] == []
    problems, _ = core.governance.model_card({**parts, "owner": "TODO"}, ["stale review"])
    assert problems == ["model_card.yaml: 'owner' still holds a placeholder", "stale review"]
    assert core.governance.model_card({}, [])[0][0] == "model_card.yaml: 'owner' is empty"


def test_governance_privacy_names_forbidden_inputs_and_personal_data():
    rules = tuned("governance", forbidden_features=["*ssn*"])
    frame = pd.DataFrame({"note": ["write to ann@example.com", "none"]})
    problems, _ = core.governance.privacy(["member_ssn", "reading"], frame, rules)
    assert problems == [
        "input 'member_ssn' matches a forbidden column pattern",
        "column 'note' has 1 values that look like email addresses",
    ]
    assert core.governance.privacy(["reading"], frame[1:], rules)[0] == []


def test_governance_lineage_names_a_differing_value_and_skips_one_not_stated():
    expected = {"run_id": "run-3", "git_sha": "f" * 40}
    sources = {"MLflow run": {"run_id": "run-3"}, "MODEL_CARD.md": {"git_sha": "e" * 40}}
    problems, _ = core.governance.lineage(expected, sources)
    assert problems == ["git_sha is ffffffffffff in the record, eeeeeeeeeeee in MODEL_CARD.md"]


def test_governance_passes_only_when_every_check_does():
    passing = {"privacy": ([], "fine"), "lineage": ([], "agrees")}
    result = core.governance.verdict(passing)
    assert result.passed and result.reason == "all 2 checks passed."
    result = core.governance.verdict({**passing, "lineage": (["run differs"], "agrees")})
    assert not result.passed and result.reason == "lineage: run differs"
    assert result.table.rows[1] == ["lineage", "fail", "run differs"]


# reproduce


def test_reproduce_a_metric_at_the_tolerance_passes_and_beyond_it_fails():
    committed = record(metrics={"m": 0.5})
    assert core.reproduce.verdict(committed, record(metrics={"m": 0.75}), 0.25, 1.0).passed
    result = core.reproduce.verdict(committed, record(metrics={"m": 0.76}), 0.25, 1.0)
    assert not result.passed and result.reason.endswith("m committed 0.5, retrained 0.76")


def test_reproduce_another_data_hash_fails():
    result = core.reproduce.verdict(record(), record(data_sha256="d" * 64), 0.0, 1.0)
    assert not result.passed
    assert "data_sha256 committed aaaaaaaaaaaa, retrained dddddddddddd" in result.reason


def test_reproduce_a_record_without_metrics_or_a_retrain_without_one_fails():
    result = core.reproduce.verdict(record(metrics={}), record(), 0.0, 1.0)
    assert "model/record.json has no metrics (run `make evaluate`" in result.reason
    result = core.reproduce.verdict(record(), record(metrics={}), 0.0, 1.0)
    assert result.reason.endswith("m committed 0.5, retrained nothing")


# onnx


def parity(worst: float, **changes) -> core.onnx.Parity:
    figures = {
        "file": "model/model.onnx",
        "sha256": "c" * 64,
        "exported_from": "run-3",
        "rows": 100,
        "worst": worst,
        "disagreements": 0,
        "latency": {"sklearn_us": 400.0, "onnx_us": 20.0},
    }
    return core.onnx.Parity(**{**figures, **changes})


def test_onnx_outputs_at_the_tolerance_pass_and_beyond_it_fail():
    passed = core.onnx.verdict(parity(1e-5), record(), 1e-5)
    assert passed.passed and passed.reason.endswith("20x faster than scikit-learn.")
    failed = core.onnx.verdict(parity(2e-5), record(), 1e-5)
    assert not failed.passed
    assert "outputs differ from scikit-learn's by up to 2e-05 (tolerance 1e-05)" in failed.reason


def test_onnx_a_differing_label_fails():
    result = core.onnx.verdict(parity(0.0, disagreements=1), record(), 1e-5)
    assert "1 of 100 holdout labels differ" in result.reason


def test_onnx_a_record_without_an_export_fails_and_says_what_to_run():
    result = core.onnx.verdict(parity(0.0), record(onnx=None), 1e-5)
    assert not result.passed and "names no exported model (run `make export`)" in result.reason


def test_onnx_another_file_or_run_fails():
    result = core.onnx.verdict(parity(0.0, sha256="e" * 64, exported_from="run-2"), record(), 1)
    assert result.reason.startswith("model/model.onnx fails: its sha256 eeeeeeeeeeee is not")
    assert "it was exported from run run-2, the record names run-3" in result.reason


# the record


def test_a_record_keeps_fields_it_does_not_know():
    extended = record(calibration={"bins": 10})
    assert extended.to_json()["calibration"] == {"bins": 10}
    assert "onnx" not in record(onnx=None).to_json()


def test_a_broken_record_is_one_line_naming_each_field():
    with pytest.raises(core.ProjectError) as raised:
        core.record.parse_record({"model": {"name": "m"}, "task": "ranking"}, "model/record.json")
    message = str(raised.value)
    assert message.startswith("model/record.json: not a model record (model.version: ")
    assert "model.run_id: Field required" in message and "task: Input should be" in message
    assert "\n" not in message
