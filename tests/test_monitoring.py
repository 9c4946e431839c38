"""Monitoring a served champion: its holdout passes, shifted traffic breaches, and the scheduled
workflow (run by act) turns the breach into an issue and a retraining pull request."""

import contextlib
import json
import re
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.act import act
from tests.conftest import attempt, run
from tests.project import ENV, background, changed, free_port, in_project, package


def replay(port: int, rows: list[dict], target: str) -> list[tuple[str, str]]:
    """Send rows to the service in batches, as clients would; (prediction id, true label)."""
    answered = []
    for start in range(0, len(rows), 100):
        batch = rows[start : start + 100]
        body = [{k: v for k, v in row.items() if k != target} for row in batch]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/predict",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            request_id = json.load(response)["request_id"]
        answered += [(f"{request_id}-{i}", row[target]) for i, row in enumerate(batch)]
    return answered


@pytest.fixture(scope="module")
def replayed(trained):
    """The classification project's recorded model as champion, served, and sent two samples:
    its holdout, then the holdout with every age 25 years older (capped at the schema's 100).
    Each leaves a prediction log, logs/<sample>.jsonl, and labels, logs/<sample>-labels.csv.
    The promotion and the monitoring runs are undone after the module (``changed``)."""
    project = trained("classification")
    with changed(project):
        yield _replay(project)


def _replay(project: Path) -> Path:
    run("make promote", cwd=project, env=ENV)
    in_project(
        project,
        f"from {package(project).name}.jobs import holdout; import json, pathlib; "
        'd = holdout(pathlib.Path(".")); rows = d.x.assign(released=d.frame["released"]); '
        "shifted = rows.assign(age=(rows.age + 25).clip(upper=100)); "
        'pathlib.Path("logs").mkdir(exist_ok=True); '
        'json.dump({"holdout": rows.to_dict("records"), "shifted": shifted.to_dict("records")},'
        ' open("logs/samples.json", "w"))',
    )
    samples = json.loads((project / "logs" / "samples.json").read_text())
    for name, rows in samples.items():
        port = free_port()
        served = {"PORT": str(port), "PREDICTION_LOG": f"logs/{name}.jsonl"}
        health = f"http://127.0.0.1:{port}/health"
        log = project / "logs" / f"{name}-service.log"
        with background("make --no-print-directory serve", project, served, health, log):
            answered = replay(port, rows, "released")
        labels = "".join(f"{id_},{label}\n" for id_, label in answered)
        (project / "logs" / f"{name}-labels.csv").write_text("id,released\n" + labels)
    return project


def monitor(project: Path, sample: str) -> subprocess.CompletedProcess:
    """``make monitor`` on one replayed sample and its labels."""
    inputs = {
        "MONITOR_INPUTS": f"logs/{sample}.jsonl",
        "MONITOR_LABELS": f"logs/{sample}-labels.csv",
    }
    return attempt("make monitor", project, {**ENV, **inputs})


def drift_history(project: Path) -> list[float]:
    """The drift share of each ``make monitor``: steps of the champion's monitoring run."""
    with contextlib.closing(sqlite3.connect(project / "mlflow.db")) as store:
        rows = store.execute(
            "SELECT value FROM metrics WHERE key = 'drift_share' ORDER BY step"
        ).fetchall()
    return [value for (value,) in rows]


@pytest.mark.xdist_group("gates-b")
class TestMonitoring:
    def test_holdout_traffic_with_its_labels_passes(self, replayed):
        done = monitor(replayed, "holdout")
        report = json.loads((replayed / "reports/monitoring/monitoring.json").read_text())
        assert done.returncode == 0, done.stderr[-2000:]
        assert report["passed"] and report["figures"]["rows"] == 1307
        assert re.search(r"^drift\s+pass\s+0 of 6 columns drifted", done.stdout, re.M)
        assert re.search(
            r"^kpi\s+pass\s+.*: roc_auc 0\.\d+ on 1307 labelled predictions; "
            r"target roc_auc >= 0\.68$",
            done.stdout,
            re.M,
        )
        assert drift_history(replayed)[-1] == 0.0

    def test_shifted_traffic_breaches_and_the_schedule_opens_an_issue_and_a_retraining_pr(
        self, replayed, tmp_path
    ):
        """The scheduled workflow's `make monitor` flags the shifted sample; its breach path
        retrains into a pull request and writes the issue (both stood in)."""
        code, log = act(
            replayed,
            tmp_path,
            "--var",
            f"MONITOR_INPUTS={replayed}/logs/shifted.jsonl",
            "--secret",
            f"MLFLOW_TRACKING_URI=sqlite:///{replayed}/mlflow.db",
            workflow="monitor.yml",
        )
        artifacts = tmp_path / "artifacts"
        reason = "breach: drift: 1 of 6 columns drifted (17%): age; at most 10%"
        assert code != 0, log[-4000:]  # a breach fails the monitor job
        assert "Failure - Main make monitor" in log and reason in log
        assert "Traceback" not in log
        summary = (artifacts / "monitoring" / "summary.md").read_text()
        assert "| age | Wasserstein distance (normed) |" in summary
        assert (artifacts / "monitoring" / "drift.html").exists()
        assert round(drift_history(replayed)[-1], 3) == 0.167

        assert "Success - Main make data candidate" in log, log[-4000:]
        retrained = artifacts / "retrained"  # from the read-only job to the one that writes
        assert (retrained / "model" / "record.json").exists()
        assert (retrained / "data" / "manifest.json").exists()
        request = artifacts / "pull-request"
        assert (request / "branch.txt").read_text() == "monitoring/retrain\n"
        assert "model/record.json" in (request / "files.txt").read_text().split()
        assert reason in (request / "body.md").read_text()
        issue = (artifacts / "issue.md").read_text()
        assert issue.startswith("<!-- monitoring-breach -->") and reason in issue
        assert "Retraining pull request: https://github.com/your-org/gated-model/pull/1" in issue
