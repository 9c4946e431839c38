from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package }} import core

POLICY = Path(__file__).resolve().parents[1] / "policy.yaml"


def write(tmp_path, change):
    raw = yaml.safe_load(POLICY.read_text())
    change(raw)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_project_policy_is_valid():
    policy = core.policy.load_policy(POLICY)
    assert policy.goal and policy.thresholds
    assert policy.kpi.metric in core.metrics.METRICS


def test_an_unknown_key_is_named(tmp_path):
    path = write(tmp_path, lambda raw: raw["data"].update(seeed=1))
    with pytest.raises(core.ProjectError, match=r"data\.seeed: Extra inputs are not permitted"):
        core.policy.load_policy(path)


def test_a_bad_value_is_named(tmp_path):
    path = write(tmp_path, lambda raw: raw["data"].update(holdout=1.5))
    with pytest.raises(core.ProjectError, match=r"data\.holdout: Input should be less than 1"):
        core.policy.load_policy(path)


def test_a_threshold_on_the_wrong_side_is_rejected(tmp_path):
    name = next(iter(core.policy.load_policy(POLICY).thresholds))
    wrong = "at_most" if core.metrics.METRICS[name].higher_is_better else "at_least"
    path = write(tmp_path, lambda raw: raw["thresholds"].update({name: {wrong: 0.5}}))
    with pytest.raises(core.ProjectError, match=f"thresholds.{name}: {name} needs"):
        core.policy.load_policy(path)


def test_a_metric_of_the_other_task_is_rejected(tmp_path):
    other = next(
        n
        for n, m in core.metrics.METRICS.items()
        if core.policy.load_policy(POLICY).task not in m.tasks
    )
    path = write(tmp_path, lambda raw: raw["kpi"].update(metric=other))
    with pytest.raises(core.ProjectError, match=f"metric '{other}' is not a"):
        core.policy.load_policy(path)


def test_a_missing_or_broken_file_is_one_error(tmp_path):
    with pytest.raises(core.ProjectError, match="policy file not found"):
        core.policy.load_policy(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("goal: [unclosed\n")
    with pytest.raises(core.ProjectError, match="not valid YAML"):
        core.policy.load_policy(broken)


def schema(*names: str) -> core.schema.DatasetSchema:
    """A schema of integer columns, the first one the target."""
    columns = [core.schema.Column(name=name, kind="integer") for name in names]
    return core.schema.DatasetSchema(target=names[0], columns=columns)


def test_columns_the_policy_names_are_in_the_data(tmp_path):
    def name(raw):
        raw["data"].update(sensitive=["colour", "sex"], sensitive_as_features=["sex"])
        raw["gates"]["explain"]["forbidden_drivers"] = ["colour"]

    policy = core.policy.load_policy(write(tmp_path, name))
    assert core.policy.schema_problems(policy, schema("y", "colour", "sex", "age")) == []


def test_a_column_the_data_lacks_or_the_target_is_named_by_key(tmp_path):
    def name(raw):
        raw["data"].update(sensitive=["colour", "y"], sensitive_as_features=[])
        raw["gates"]["explain"]["forbidden_drivers"] = ["zip"]

    policy = core.policy.load_policy(write(tmp_path, name))
    assert core.policy.schema_problems(policy, schema("y", "sex", "age")) == [
        "data.sensitive names 'colour', which the data does not have (columns: y, sex, age)",
        "data.sensitive names 'y', which is the target",
        "gates.explain.forbidden_drivers names 'zip', which the data does not have "
        "(columns: y, sex, age)",
    ]


def test_no_sensitive_column_is_allowed(tmp_path):
    policy = core.policy.load_policy(
        write(tmp_path, lambda raw: raw["data"].update(sensitive=[], sensitive_as_features=[]))
    )
    assert policy.data.sensitive == [] and policy.forbidden_drivers == []


def test_keeping_more_drivers_than_the_top_is_rejected(tmp_path):
    path = write(tmp_path, lambda raw: raw["gates"]["explain"].update(top_k=3, min_kept=4))
    with pytest.raises(core.ProjectError, match="min_kept 4 is more than top_k 3"):
        core.policy.load_policy(path)
