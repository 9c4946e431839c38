import json
import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package }}.core import ProjectError
from {{ cookiecutter.package }}.jobs import policy as load_policy
from {{ cookiecutter.package }}.jobs.manifests import (
    DEPLOYED,
    DEPLOYMENT,
    OVERLAY,
    limit_problems,
    pin,
    write_manifests,
)

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root(tmp_path):
    """The policy and the Kubernetes files, copied."""
    shutil.copy(PROJECT / "policy.yaml", tmp_path / "policy.yaml")
    shutil.copytree(PROJECT / "deploy", tmp_path / "deploy")
    return tmp_path


def test_the_committed_deployment_is_what_make_manifests_writes(root):
    committed = (root / DEPLOYMENT).read_text()
    write_manifests(root)
    assert (root / DEPLOYMENT).read_text() == committed
    assert limit_problems(root, load_policy(root)) == []


def test_a_policy_limit_changed_without_make_manifests_is_named(root):
    policy = root / "policy.yaml"
    policy.write_text(policy.read_text().replace("max_rss_mb: 400", "max_rss_mb: 256"))
    problems = limit_problems(root, load_policy(root))
    assert (
        f"{DEPLOYMENT} limits.memory is 400Mi, the policy says 256Mi: run make manifests"
        in problems
    )
    write_manifests(root)
    assert limit_problems(root, load_policy(root)) == []


def test_pin_writes_the_released_digest_into_the_production_overlay(root):
    digest = "sha256:" + "a" * 64
    (root / DEPLOYED).parent.mkdir(parents=True)
    (root / DEPLOYED).write_text(json.dumps({"image_digest": f"ghcr.io/o/r@{digest}"}))
    pin(root)
    overlay = yaml.safe_load((root / OVERLAY).read_text())
    assert overlay["resources"] == ["../../base"]
    assert overlay["images"] == [
        {"name": "{{ cookiecutter.project }}", "newName": "ghcr.io/o/r", "digest": digest}
    ]


def test_pin_without_a_pushed_image_says_so(root):
    (root / DEPLOYED).parent.mkdir(parents=True)
    (root / DEPLOYED).write_text(json.dumps({"image_digest": None}))
    with pytest.raises(ProjectError, match="names no pushed image digest"):
        pin(root)
