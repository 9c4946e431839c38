import time

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package }} import core, io, jobs, serving


@pytest.fixture(scope="module")
def logged(project, served, fitted, policy, tmp_path_factory, schema):
    """The holdout sent through the service with the prediction log on, and its labels by id."""
    folder = tmp_path_factory.mktemp("traffic")
    rows = fitted.parts.x_holdout.to_dict(orient="records")
    frame, _ = io.data.load_dataset(project, policy)
    truth = frame.loc[fitted.parts.x_holdout.index, schema.target].tolist()
    ids = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREDICTION_LOG", str(folder / "predictions.jsonl"))
        with TestClient(
            serving.app.create_app(served, policy, io.record.read_record(served))
        ) as client:
            size = policy.service.max_batch
            for start in range(0, len(rows), size):
                answer = client.post("/predict", json=rows[start : start + size]).json()
                ids += [f"{answer['request_id']}-{i}" for i in range(len(answer["predictions"]))]
    labels = folder / "labels.csv"
    labels.write_text("id,target\n".replace("target", schema.target))
    with labels.open("a") as handle:
        handle.writelines(f"{id_},{value}\n" for id_, value in zip(ids, truth))
    return folder


@pytest.fixture(scope="module")
def joined(logged, fitted, schema):
    """The logged traffic with its labels."""
    names = [column.name for column in fitted.features]
    source = str(logged / "predictions.jsonl")
    frame = io.traffic.checked(io.traffic.read_traffic(source, schema), schema, names, source)
    labels = io.traffic.read_labels(str(logged / "labels.csv"), schema)
    return frame.assign(**{io.traffic.TRUTH: frame[io.traffic.ID].map(labels)})


def test_the_log_reads_back_with_every_label_joined_by_id(joined, fitted):
    assert len(joined) == len(fitted.parts.x_holdout)
    assert joined[io.traffic.TRUTH].notna().all()
    assert joined[io.traffic.TRUTH].tolist() == fitted.parts.y_holdout.tolist()
    expected = fitted.parts.x_holdout.reset_index(drop=True)
    for column in fitted.features:
        logged, sent = joined[column.name], expected[column.name]
        if column.kind == "category":
            assert (logged.astype(str) == sent.astype(str)).all(), column.name
        else:
            assert np.allclose(logged.astype(float), sent.astype(float)), column.name


def kpi(joined, policy, schema, truth):
    scores = None
    if policy.task == "classification":
        scores = joined[io.traffic.PREDICTION].to_numpy()
    elif policy.task == "multiclass":
        scores = joined[[io.traffic.PROBABILITY + name for name in schema.classes]].to_numpy()
    value = core.monitoring.kpi_value(
        policy, truth, joined[io.traffic.PREDICTED].to_numpy(), scores
    )
    return core.monitoring.judge_kpi(value, len(truth), policy)


def test_the_kpi_on_labelled_holdout_traffic_meets_its_target(joined, policy, schema):
    check = kpi(joined, policy, schema, joined[io.traffic.TRUTH].to_numpy())
    assert check.verdict == core.monitoring.PASS, check.detail
    assert f"on {len(joined)} labelled predictions; target {policy.kpi_met}" in check.detail


def test_degraded_labels_breach_the_kpi_with_the_figure(joined, policy, schema):
    truth = joined[io.traffic.TRUTH].to_numpy()
    if policy.task == "classification":
        degraded = 1 - truth  # every outcome the opposite of what was predicted from
    elif policy.task == "multiclass":
        degraded = (truth + 1) % len(schema.classes)  # every outcome another class
    else:
        degraded = np.random.default_rng(0).permutation(truth)  # outcomes of other people
    check = kpi(joined, policy, schema, degraded)
    assert check.verdict == core.monitoring.BREACH
    assert check.detail.startswith(f"{policy.kpi.name}: {policy.kpi.metric} ")
    result = core.monitoring.verdict([check], {})
    assert not result.passed and result.reason.startswith("breach: kpi: ")


def test_too_few_labels_or_rows_are_not_judged(policy):
    few = policy.monitoring.min_labelled_rows - 1
    check = core.monitoring.judge_kpi(0.0, few, policy)
    assert check.verdict == core.monitoring.NOT_JUDGED and "at least" in check.detail
    drift = core.monitoring.judge_drift(
        ["a", "b"], ["a", "b"], policy.monitoring.min_rows - 1, policy
    )
    assert drift.verdict == core.monitoring.NOT_JUDGED
    assert core.monitoring.verdict([check, drift], {}).passed


def test_drift_breaches_above_the_policy_share(policy):
    columns = [f"c{i}" for i in range(10)]
    rows = policy.monitoring.min_rows
    assert core.monitoring.judge_drift([], columns, rows, policy).verdict == core.monitoring.PASS
    check = core.monitoring.judge_drift(columns[:5], columns, rows, policy)
    assert check.verdict == core.monitoring.BREACH
    assert check.detail.startswith("5 of 10 columns drifted (50%): c0, c1, c2, c3, c4; at most")


def test_recent_keeps_the_window_served_by_the_champion(policy):
    now = time.time()
    old = now - policy.monitoring.window_hours * 3600 - 60
    frame = pd.DataFrame(
        {io.traffic.TIME: [now, now, old, now], io.traffic.VERSION: ["3", "2", "3", "3"]}
    )
    kept, left_out = jobs.monitor.recent(frame, policy, {"version": "3"})
    assert len(kept) == 2 and left_out == 2
    with pytest.raises(core.ProjectError, match=r"no predictions of champion version 4 .*: 2, 3\)"):
        jobs.monitor.recent(frame, policy, {"version": "4"})


def test_a_table_is_checked_and_its_outcomes_become_truth(
    tmp_path, project, fitted, schema, policy
):
    names = [column.name for column in fitted.features]
    frame, _ = io.data.load_dataset(project, policy)
    table = tmp_path / "table.csv"
    frame.assign(prediction=0.5, model_version=1).to_csv(table, index=False)
    read = io.traffic.read_traffic(str(table), schema)
    assert io.traffic.PREDICTION not in read  # a table's served columns are computed again
    assert (read[io.traffic.VERSION] == "1").all()
    read = io.traffic.checked(read, schema, names, str(table))
    assert (
        read[io.traffic.TRUTH].tolist() == io.traffic.encode(frame[schema.target], schema).tolist()
    )
    frame.drop(columns=names[0]).to_csv(table, index=False)
    with pytest.raises(
        core.ProjectError, match=f"table.csv does not fit .*missing columns: {names[0]}"
    ):
        io.traffic.checked(
            io.traffic.read_traffic(str(table), schema),
            schema,
            names,
            str(table),
        )
    frame.assign(time="2026-01-01T00:00:00").to_csv(table, index=False)
    with pytest.raises(core.ProjectError, match="'time' must be seconds since the epoch"):
        io.traffic.read_traffic(str(table), schema)
    with pytest.raises(core.ProjectError, match="labels need an 'id' column"):
        io.traffic.read_labels(str(table), schema)


def test_a_url_is_shown_without_its_credentials():
    url = "https://user:secret@logs.example.com:8443/a/predictions.jsonl?sig=abc#x"
    assert io.traffic.shown(url) == "https://logs.example.com:8443/a/predictions.jsonl"
    assert io.traffic.shown("logs/predictions.jsonl") == "logs/predictions.jsonl"


def test_broken_traffic_is_one_error_naming_the_file(tmp_path, schema):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"\n')
    with pytest.raises(core.ProjectError, match="bad.jsonl: cannot be read as JSON lines"):
        io.traffic.read_traffic(str(bad), schema)
    other = tmp_path / "other.jsonl"
    other.write_text('{"a": 1}\n')
    with pytest.raises(core.ProjectError, match="lack id, time, model_version, features, output"):
        io.traffic.read_traffic(str(other), schema)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    (tmp_path / "empty.jsonl.1.gz").write_bytes(b"not a rotated log of ours")
    with pytest.raises(core.ProjectError, match="empty.jsonl: holds no predictions"):
        io.traffic.read_traffic(str(empty), schema)
    with pytest.raises(core.ProjectError, match="no prediction log here"):
        io.traffic.read_traffic(str(tmp_path / "missing.jsonl"), schema)
