import os
from pathlib import Path

import pytest

from {{ cookiecutter.package }} import core, io


def test_locations_are_shown_without_credentials():
    url = "https://user:secret@logs.example.com:8443/a/predictions.jsonl?sig=abc#x"
    assert io.files.shown(url) == "https://logs.example.com:8443/a/predictions.jsonl"
    assert io.files.shown("postgresql://mlflow:secret@db/mlflow") == "postgresql://db/mlflow"
    assert io.files.shown("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert io.files.shown("logs/predictions.jsonl") == "logs/predictions.jsonl"
    message = "API request to http://user:p@ss@host:5000/api/2.0 failed, see http://docs/x"
    assert io.files.without_credentials(message) == (
        "API request to http://host:5000/api/2.0 failed, see http://docs/x"
    )


def test_an_unreachable_server_is_named_without_its_credentials(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://user:secret@127.0.0.1:9/")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # nothing listens on port 9
    monkeypatch.setenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "false")
    with pytest.raises(core.ProjectError) as raised:
        io.registry.champion()
    message = str(raised.value)
    assert "secret" not in message and "user" not in message
    assert message.startswith("MLflow at http://127.0.0.1:9/ cannot be reached: ")
    assert "\n" not in message
    # MLflow would print each finished run's address, the URI with its credentials.
    assert os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] == "true"


def test_the_champion_data_must_hash_to_its_run_tag(tracked, tmp_path):
    run_id = io.record.read_record(tracked).model.run_id
    path = io.registry.training_data(run_id, tmp_path / "intact")
    assert io.files.sha256(path) == io.registry.run_tags(run_id)["data_sha256"]

    store = Path(io.registry.tracking_uri().removeprefix("sqlite:///")).parent
    (kept,) = [p for p in store.rglob("dataset.csv") if run_id in p.parts]
    original = kept.read_bytes()
    try:
        kept.write_bytes(original.replace(b"\n", b"\r\n", 1))  # the same rows, other bytes
        with pytest.raises(core.ProjectError, match=r"not the data it was trained on$"):
            io.registry.training_data(run_id, tmp_path / "replaced")
    finally:
        kept.write_bytes(original)
