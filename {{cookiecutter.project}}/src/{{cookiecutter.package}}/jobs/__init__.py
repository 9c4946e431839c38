"""Orchestration: one entry per task of the Makefile's vocabulary."""

from pathlib import Path

from {{ cookiecutter.package }}.core.policy import Policy, load_policy

POLICY = Path("policy.yaml")


def policy(root: Path) -> Policy:
    """The project's validated policy."""
    return load_policy(root / POLICY)
