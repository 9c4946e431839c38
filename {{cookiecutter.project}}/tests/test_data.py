import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package }} import core, io, jobs

PROJECT = Path(__file__).resolve().parents[1]


def test_manifest_holds_the_file_hash(project, schema, policy):
    manifest = json.loads((project / io.data.MANIFEST).read_text())
    assert manifest["sha256"] == io.files.sha256(project / io.data.DATA)
    assert manifest["columns"] == schema.names
    frame, digest = io.data.load_dataset(project, policy)
    assert len(frame) == manifest["rows"] and digest == manifest["sha256"]


def test_data_edited_without_the_manifest_is_refused(project, tmp_path, policy):
    (tmp_path / "data").mkdir()
    (tmp_path / io.data.MANIFEST).write_text((project / io.data.MANIFEST).read_text())
    (tmp_path / io.data.DATA).write_text(
        (project / io.data.DATA).read_text().replace("\n", "\n", 1) + "\n"
    )
    with pytest.raises(core.ProjectError, match="does not match the manifest"):
        io.data.load_dataset(tmp_path, policy)


def test_missing_data_says_what_to_run(tmp_path, policy):
    with pytest.raises(core.ProjectError, match="run `make data`"):
        io.data.load_dataset(tmp_path, policy)


def test_split_is_deterministic_and_keeps_sensitive_columns_out(project, policy, schema):
    frame, _ = io.data.load_dataset(project, policy)
    first, second = io.data.split(frame, schema, policy), io.data.split(frame, schema, policy)
    assert first.x_holdout.index.equals(second.x_holdout.index)
    assert len(first.x_holdout) == pytest.approx(policy.data.holdout * len(frame), abs=1)
    assert not set(policy.data.excluded_features) & set(first.x_train.columns)
    assert schema.target not in first.x_train.columns


def own_project(tmp_path, policy, rows: int = 60):
    """A project root whose policy points at a small CSV of its own: odd names, gaps."""
    classes = {"classification": ["no", "yes"], "multiclass": ["no", "yes", "maybe"]}
    table = pd.DataFrame(
        {
            "size (cm)": [float(i % 7) if i % 9 else None for i in range(rows)],
            "shop.kind": [["a", "b", None][i % 3] for i in range(rows)],
            "y": [
                (
                    classes[policy.task][i % len(classes[policy.task])]
                    if policy.task in classes
                    else float(i)
                )
                for i in range(rows)
            ],
        }
    )
    table.loc[3, "y"] = None  # a row without a label is dropped
    table.to_csv(tmp_path / "table.csv", index=False)
    rules = yaml.safe_load((PROJECT / "policy.yaml").read_text())
    rules["data"] |= {"source": "table.csv", "target": "y", "sensitive": []}
    binary = {"positive": None} if policy.task == "classification" else {}
    rules["data"] |= {"sensitive_as_features": []} | binary
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(rules))
    return tmp_path


def test_your_own_table_gets_a_schema_and_a_checked_snapshot(tmp_path, policy):
    root = own_project(tmp_path, policy)
    said = []
    io.data.fetch_dataset(root, jobs.policy(root), say=said.append)
    assert "dropped 1 rows without a target (y)" in said
    assert any("run `make schema`" in line for line in said)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        assert "3 columns" in jobs.schema.propose(root)
    rules = jobs.policy(root)
    schema = io.dataset.load_schema(root, rules)
    assert [c.nullable for c in schema.columns] == [True, True, False]
    if rules.task == "classification":
        assert schema.positive == "yes"  # the last of the sorted classes
    manifest = io.data.fetch_dataset(root, rules)  # checked against the schema this time
    frame, _ = io.data.load_dataset(root, rules)
    assert len(frame) == manifest["rows"] == 59 and frame["shop.kind"].isna().sum() == 0


def test_bad_sources_are_one_line(tmp_path, project):
    (tmp_path / "broken.parquet").write_text("not parquet")
    cases = {
        "demo:nothing": "no such demo",
        "table.xlsx": "read .csv, .csv.gz or .parquet files",
        "missing.csv": "missing.csv: file not found",
        "broken.parquet": "broken.parquet: cannot be read",
        "https://user:secret@127.0.0.1:9/t.csv": "https://127.0.0.1:9/t.csv: cannot be read",
    }
    for source, words in cases.items():
        with pytest.raises(core.ProjectError, match=re.escape(words)) as caught:
            io.sources.read_source(source, tmp_path)
        assert "secret" not in str(caught.value)


def test_a_policy_that_does_not_fit_the_schema_names_the_key(tmp_path, project, policy):
    root = own_project(tmp_path, policy)
    io.data.fetch_dataset(root, jobs.policy(root))
    jobs.schema.propose(root)
    rules = yaml.safe_load((root / "policy.yaml").read_text())
    rules["data"] |= {"id": "serial"} | (
        {"positive": "maybe"} if policy.task == "classification" else {}
    )
    (root / "policy.yaml").write_text(yaml.safe_dump(rules))
    with pytest.raises(core.ProjectError) as caught:
        io.dataset.load_schema(root, jobs.policy(root))
    assert "data.id names 'serial', which is not a column" in str(caught.value)
    if policy.task == "classification":
        assert "data.positive 'maybe' is not a value of 'y'" in str(caught.value)


def test_a_new_source_is_read_unchecked_until_its_schema_is_proposed(tmp_path, policy):
    root = own_project(tmp_path, policy)
    io.data.fetch_dataset(root, jobs.policy(root))
    jobs.schema.propose(root)
    table = pd.read_csv(root / "table.csv").rename(columns={"shop.kind": "store"})
    table.to_csv(root / "other.csv", index=False)
    rules = yaml.safe_load((root / "policy.yaml").read_text())
    rules["data"]["source"] = "other.csv"
    (root / "policy.yaml").write_text(yaml.safe_dump(rules))
    said = []
    io.data.fetch_dataset(root, jobs.policy(root), say=said.append)
    assert any(line.startswith("a new source (the data came from table.csv)") for line in said)
    jobs.schema.propose(root)
    assert "store" in io.dataset.load_schema(root, jobs.policy(root)).names
    (root / "other.csv").write_text((root / "other.csv").read_text().replace("store", "shop"))
    with pytest.raises(core.ProjectError, match="unexpected columns: shop"):
        io.data.fetch_dataset(root, jobs.policy(root))  # the same source, no longer fitting
