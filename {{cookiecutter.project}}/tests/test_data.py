import json

import pytest

from {{ cookiecutter.package }} import core, io


def test_manifest_holds_the_file_hash(project):
    manifest = json.loads((project / io.data.MANIFEST).read_text())
    assert manifest["sha256"] == io.files.sha256(project / io.data.DATA)
    assert manifest["columns"] == io.dataset.SCHEMA.names
    frame, digest = io.data.load_dataset(project)
    assert len(frame) == manifest["rows"] and digest == manifest["sha256"]


def test_data_edited_without_the_manifest_is_refused(project, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / io.data.MANIFEST).write_text((project / io.data.MANIFEST).read_text())
    (tmp_path / io.data.DATA).write_text(
        (project / io.data.DATA).read_text().replace("\n", "\n", 1) + "\n"
    )
    with pytest.raises(core.ProjectError, match="does not match the manifest"):
        io.data.load_dataset(tmp_path)


def test_missing_data_says_what_to_run(tmp_path):
    with pytest.raises(core.ProjectError, match="run `make data`"):
        io.data.load_dataset(tmp_path)


def test_split_is_deterministic_and_keeps_sensitive_columns_out(project, policy):
    frame, _ = io.data.load_dataset(project)
    first, second = io.data.split(frame, io.dataset.SCHEMA, policy), io.data.split(
        frame, io.dataset.SCHEMA, policy
    )
    assert first.x_holdout.index.equals(second.x_holdout.index)
    assert len(first.x_holdout) == pytest.approx(policy.data.holdout * len(frame), abs=1)
    assert not set(policy.data.excluded_features) & set(first.x_train.columns)
    assert io.dataset.SCHEMA.target not in first.x_train.columns
