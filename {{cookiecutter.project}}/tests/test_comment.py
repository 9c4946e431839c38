"""The pull-request comment: assembled from whichever reports exist, charts GitHub draws."""

import json
import shutil

from {{ cookiecutter.package }} import core, jobs
from conftest import PROJECT

ACCURACY = {
    "columns": ["metric", "threshold", "candidate", "champion", "gain", "verdict"],
    "rows": [
        ["roc_auc", ">= 0.68", 0.71, 0.70, 0.01, "pass"],
        ["log_loss", "<= 0.45", 0.42, 0.43, 0.01, "pass"],
        ["rmse", "<= 60", 51.5, 52.0, 0.5, "pass"],
    ],
}


def gate(name: str, passed: bool | None) -> core.comment.Gate:
    verdict = "passed" if passed else "FAILED"
    return core.comment.Gate(name, passed, f"{name} said so", f"### {name}: {verdict}\n\ntable\n")


def test_metrics_between_0_and_1_share_a_chart_and_a_large_one_gets_its_own():
    charts = core.comment.versus_champion(ACCURACY, "version 3")
    assert len(charts) == 2
    shared, own = charts
    assert shared.startswith("```mermaid\n") and shared.endswith("```")
    assert "\nxychart-beta\n" in shared
    assert 'x-axis ["roc_auc", "log_loss"]' in shared
    assert "bar [0.71, 0.42]" in shared and "line [0.7, 0.43]" in shared
    assert "champion version 3" in shared
    assert 'x-axis ["rmse"]' in own and "bar [51.5]" in own and "line [52]" in own


def test_no_champion_values_means_no_comparison_chart():
    rows = [[name, bound, value, None, None, "pass"] for name, bound, value, *_ in ACCURACY["rows"]]
    assert core.comment.versus_champion({**ACCURACY, "rows": rows}, "version 1") == []
    assert core.comment.versus_champion({"columns": ["check"], "rows": []}, "version 1") == []


def test_importance_chart_keeps_the_top_inputs_largest_first():
    values = {f"x{i}": i / 100 for i in range(15)} | {"noise": -0.01}
    drawn = core.comment.importance_chart(values, "roc_auc")
    assert "xychart-beta horizontal" in drawn and "drop in roc_auc" in drawn
    assert 'x-axis ["x14", "x13"' in drawn and '"x5"' in drawn and '"x4"' not in drawn
    assert "noise" not in drawn
    assert core.comment.importance_chart({}, "roc_auc") is None


def test_the_model_cards_group_tables_become_one_chart_per_column():
    table = core.gates.Table(
        ["colour", "rows", "roc_auc"], [["Black", 321, 0.67], ["White", 986, 0.69]]
    )
    card = f"# Card\n\n## Metrics by colour\n\n{table.markdown()}\n\n## Lineage\n\n| a | b |\n"
    assert core.comment.card_tables(card) == {
        "colour": {
            "Black": {"rows": "321", "roc_auc": "0.67"},
            "White": {"rows": "986", "roc_auc": "0.69"},
        }
    }
    (drawn,) = core.comment.group_charts(card, "roc_auc")
    assert 'title "roc_auc by colour (holdout)"' in drawn
    assert 'x-axis ["Black", "White"]' in drawn and "bar [0.67, 0.69]" in drawn
    assert core.comment.group_charts(card, "rmse") == []


def test_comment_lists_gates_in_order_names_failures_and_missing_ones():
    found = {
        "load": gate("load", False),
        "accuracy": gate("accuracy", True),
        "extra": gate("extra", True),
    }
    gates = core.comment.ordered(found, ["standards", "accuracy", "load"])
    assert [g.name for g in gates] == ["accuracy", "load", "standards", "extra"]
    link = "https://github.com/o/r/actions/runs/7#artifacts"
    text = core.comment.comment(
        gates, {"Charts": ["```mermaid\nx\n```"], "Empty": []}, ["eda.html"], link
    )
    assert text.startswith(f"{core.comment.MARKER}\n## ❌ 1 of 3 gates failed: load\n")
    assert "✅ accuracy · ❌ load · ❔ standards · ✅ extra" in text
    assert "No verdict found for: standards." in text
    assert f"[the run's artifacts]({link})" in text
    assert "### Charts" in text and "### Empty" not in text
    assert text.index("#### accuracy: passed") < text.index("#### load: FAILED")
    assert "`eda.html`" in text


def test_comment_without_any_report_says_so():
    text = core.comment.comment([], {}, [], None)
    assert text.startswith(f"{core.comment.MARKER}\n## Gates: no verdicts were found")
    assert "artifacts" not in text


def test_make_comment_uses_whichever_reports_exist(tmp_path, monkeypatch):
    shutil.copy(PROJECT / "policy.yaml", tmp_path / "policy.yaml")
    metric = jobs.policy(tmp_path).kpi.metric
    gates = tmp_path / "reports" / "gates"
    gates.mkdir(parents=True)
    accuracy = {"gate": "accuracy", "passed": True, "reason": "fine", "table": ACCURACY}
    accuracy["figures"] = {"champion": {"version": "3"}}
    (gates / "accuracy.json").write_text(json.dumps(accuracy))
    (gates / "accuracy.md").write_text("### ✅ accuracy: passed\n\nfine\n")
    (gates / "onnx.md").write_text("### ❌ onnx: FAILED\n\nonly the Markdown\n")
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)

    text = jobs.comment.comment(tmp_path).read_text()
    assert text.startswith(f"{core.comment.MARKER}\n## ✅ 1 of 1 gates passed")
    assert "### Candidate vs champion" in text and "champion version 3" in text
    assert "What the model leans on" not in text and "by group" not in text
    assert "only the Markdown" in text and "artifacts" not in text

    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    (tmp_path / "reports" / "explain").mkdir()
    (tmp_path / "reports" / "explain" / "importance.csv").write_text(
        "input,importance\na,0.2\nb,0.1\n"
    )
    text = jobs.comment.comment(tmp_path).read_text()
    assert "(https://github.com/o/r/actions/runs/42#artifacts)" in text
    assert f"drop in {metric}" in text and 'x-axis ["a", "b"]' in text
