import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from {{ cookiecutter.package }} import core, io, jobs


def git(root, *args):
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@e.st", *args], cwd=root, check=True
    )


@pytest.fixture
def released(served, fitted, tmp_path):
    """A committed project (data, record with model_sha256, model) and its champion bundle."""
    root = tmp_path / "project"
    shutil.copytree(served, root)
    record = io.record.read_record(root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Trained")
    importance = pd.Series(1.0 / np.arange(1, len(record.features) + 1), record.features)
    tags = {"holdout_sha256": "h" * 64, "split": "holdout 0.25", "mlflow.user": "someone"}
    io.bundle.write(root, tmp_path / "bundle", record, importance, tags)
    return root, tmp_path / "bundle"


def test_the_model_hash_ignores_the_metadata_but_not_the_model(fitted, tmp_path):
    features, pipeline = fitted.features, fitted.pipeline
    one = io.onnx_model.export(pipeline, features, {"run_id": "a"}, tmp_path / "a.onnx")
    two = io.onnx_model.export(pipeline, features, {"run_id": "b"}, tmp_path / "b.onnx")
    other = clone(pipeline).fit(fitted.parts.x_train.iloc[::2], fitted.parts.y_train.iloc[::2])
    io.onnx_model.export(other, features, {"run_id": "a"}, tmp_path / "c.onnx")
    digest = [io.bundle.model_digest((tmp_path / f"{n}.onnx").read_bytes()) for n in "abc"]
    assert one["sha256"] != two["sha256"] and digest[0] == digest[1] != digest[2]


def test_a_bundle_is_the_champion_with_its_onnx_model_and_data_from_git(
    released, fitted, policy, monkeypatch, tmp_path
):
    root, folder = released
    monkeypatch.setenv(io.bundle.VARIABLE, str(folder))
    monkeypatch.chdir(root)
    champion = io.registry.champion()
    assert champion["version"] == "7" and champion["source"] == "bundle model-v7"
    model = io.registry.load_model(champion["uri"])
    x = fitted.parts.x_holdout
    expected = core.metrics.outputs(fitted.pipeline, x, policy.task)
    actual = core.metrics.outputs(model, x, policy.task)
    for left, right in zip(expected, actual):
        assert left is None or np.allclose(left, right, atol=1e-5)
    assert list(io.registry.champion_importance(champion).index) == model.feature_names_in_.tolist()
    # The run's tags the accuracy gate compares come from the bundle, not a tracking server.
    tags = io.registry.run_tags(champion["run_id"])
    assert tags == {"holdout_sha256": "h" * 64, "split": "holdout 0.25"}
    data = io.registry.training_data(champion["run_id"], tmp_path)
    assert io.files.sha256(data) == fitted.data_sha256

    (folder / "model.onnx").write_bytes((folder / "model.onnx").read_bytes() + b"\0")
    with pytest.raises(core.ProjectError, match="not the champion's model$"):
        io.registry.load_model(champion["uri"])


def test_a_missing_bundle_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv(io.bundle.VARIABLE, str(tmp_path / "champion"))
    with pytest.raises(core.ProjectError, match=r"no bundle.json there \(run `make champion`"):
        io.registry.champion()


def test_match_refuses_a_model_other_than_the_committed_one(released, fitted):
    root, _ = released
    assert "is the one the gates judged" in jobs.champion.match(root)
    other = clone(fitted.pipeline).fit(fitted.parts.x_train[::2], fitted.parts.y_train[::2])
    io.onnx_model.export(other, fitted.features, {}, root / io.onnx_model.MODEL)
    with pytest.raises(core.ProjectError, match="is not the one the pull request's gates judged"):
        jobs.champion.match(root)


def test_a_manifest_without_its_champion_keys_is_one_line(tmp_path):
    (tmp_path / "bundle.json").write_text('{"champion": {"version": "3"}}')
    with pytest.raises(core.ProjectError, match="not a champion bundle manifest .* lacking run_id"):
        io.bundle.read(tmp_path)
