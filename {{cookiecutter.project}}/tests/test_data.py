import json

import pytest

from {{ cookiecutter.package }}.core import ProjectError
from {{ cookiecutter.package }}.io.data import DATA, MANIFEST, load_dataset, split
from {{ cookiecutter.package }}.io.dataset import SCHEMA
from {{ cookiecutter.package }}.io.files import sha256


def test_manifest_holds_the_file_hash(project):
    manifest = json.loads((project / MANIFEST).read_text())
    assert manifest["sha256"] == sha256(project / DATA)
    assert manifest["columns"] == SCHEMA.names
    frame, digest = load_dataset(project)
    assert len(frame) == manifest["rows"] and digest == manifest["sha256"]


def test_data_edited_without_the_manifest_is_refused(project, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / MANIFEST).write_text((project / MANIFEST).read_text())
    (tmp_path / DATA).write_text((project / DATA).read_text().replace("\n", "\n", 1) + "\n")
    with pytest.raises(ProjectError, match="does not match the manifest"):
        load_dataset(tmp_path)


def test_missing_data_says_what_to_run(tmp_path):
    with pytest.raises(ProjectError, match="run `make data`"):
        load_dataset(tmp_path)


def test_split_is_deterministic_and_keeps_sensitive_columns_out(project, policy):
    frame, _ = load_dataset(project)
    first, second = split(frame, SCHEMA, policy), split(frame, SCHEMA, policy)
    assert first.x_holdout.index.equals(second.x_holdout.index)
    assert len(first.x_holdout) == pytest.approx(policy.data.holdout * len(frame), abs=1)
    assert not set(policy.data.excluded_features) & set(first.x_train.columns)
    assert SCHEMA.target not in first.x_train.columns
