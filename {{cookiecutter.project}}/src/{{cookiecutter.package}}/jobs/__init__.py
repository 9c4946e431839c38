"""Orchestration: one entry per task of the Makefile's vocabulary."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import _submodule
from ..core.policy import Policy, load_policy
from ..core.schema import DatasetSchema

POLICY = Path("policy.yaml")


def policy(root: Path) -> Policy:
    """The project's validated policy; loading the schema checks the two agree."""
    return load_policy(root / POLICY)


@dataclass
class Holdout:
    """What the model-judging tasks look at: policy, record, schema, data, and the holdout."""

    rules: Policy
    record: dict
    schema: DatasetSchema
    frame: pd.DataFrame
    x: pd.DataFrame
    y: pd.Series

    def candidate(self):
        """The recorded model, from the tracking store."""
        from ..io import registry

        return registry.load_model(f"runs:/{self.record['model']['run_id']}/model")

    def groups(self, column: str) -> pd.Series:
        """A column of the holdout rows, sensitive ones included even when not model inputs."""
        return self.frame.loc[self.x.index, column]


def holdout(root: Path) -> Holdout:
    """Load the policy, the record and the checked data, and split off the holdout."""
    from ..io import dataset
    from ..io.data import load_dataset, split
    from ..io.record import read_record

    rules = policy(root)
    record = read_record(root)
    schema = dataset.load_schema(root, rules)
    frame, _ = load_dataset(root, rules)
    parts = split(frame, schema, rules)
    return Holdout(rules, record, schema, frame, parts.x_holdout, parts.y_holdout)


def __getattr__(name: str):
    """Submodules on first use: ``from <package> import jobs`` then ``jobs.<module>`` works."""
    return _submodule(__name__, name)
