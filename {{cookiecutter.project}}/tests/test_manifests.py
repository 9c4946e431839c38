import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package }} import core, jobs

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root(tmp_path):
    """The policy and the Kubernetes files, copied."""
    shutil.copy(PROJECT / "policy.yaml", tmp_path / "policy.yaml")
    shutil.copytree(PROJECT / "deploy", tmp_path / "deploy")
    return tmp_path


def test_the_committed_deployment_is_what_make_manifests_writes(root):
    committed = (root / jobs.manifests.DEPLOYMENT).read_text()
    jobs.manifests.write_manifests(root)
    assert (root / jobs.manifests.DEPLOYMENT).read_text() == committed
    assert jobs.manifests.limit_problems(root, jobs.policy(root)) == []


def test_the_dockerfile_exposes_the_port_the_package_serves_on():
    exposed = re.findall(r"^EXPOSE (\d+)$", (PROJECT / "Dockerfile").read_text(), re.MULTILINE)
    assert exposed == [str(core.kubernetes.PORT)]


def test_a_policy_limit_changed_without_make_manifests_is_named(root):
    policy = root / "policy.yaml"
    rules = yaml.safe_load(policy.read_text())
    before = int(rules["gates"]["load"]["max_rss_mb"])
    rules["gates"]["load"]["max_rss_mb"] = before + 56
    policy.write_text(yaml.safe_dump(rules))
    problems = jobs.manifests.limit_problems(root, jobs.policy(root))
    deployment = jobs.manifests.DEPLOYMENT
    expected = (
        f"{deployment} limits.memory is {before}Mi, the policy says {before + 56}Mi: "
        "run make manifests"
    )
    assert expected in problems
    jobs.manifests.write_manifests(root)
    assert jobs.manifests.limit_problems(root, jobs.policy(root)) == []


def test_pin_writes_the_released_digest_into_the_production_overlay(root):
    digest = "sha256:" + "a" * 64
    (root / jobs.manifests.DEPLOYED).parent.mkdir(parents=True)
    (root / jobs.manifests.DEPLOYED).write_text(
        json.dumps({"image_digest": f"ghcr.io/o/r@{digest}"})
    )
    jobs.manifests.pin(root)
    overlay = yaml.safe_load((root / jobs.manifests.OVERLAY).read_text())
    assert overlay["resources"] == ["../../base"]
    assert overlay["images"] == [
        {"name": core.kubernetes.APP, "newName": "ghcr.io/o/r", "digest": digest}
    ]


def test_pin_without_a_pushed_image_says_so(root):
    (root / jobs.manifests.DEPLOYED).parent.mkdir(parents=True)
    (root / jobs.manifests.DEPLOYED).write_text(json.dumps({"image_digest": None}))
    with pytest.raises(core.ProjectError, match="names no pushed image digest"):
        jobs.manifests.pin(root)
