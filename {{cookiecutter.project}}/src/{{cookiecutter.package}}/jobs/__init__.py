"""Orchestration: one entry per task of the Makefile's vocabulary."""

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from .. import _submodule
from ..core.fairness import Measured, floor, measure
from ..core.metrics import METRICS, outputs
from ..core.policy import Policy, load_policy
from ..core.record import Record
from ..core.schema import DatasetSchema

POLICY = Path("policy.yaml")


def policy(root: Path) -> Policy:
    """The project's validated policy; loading the schema checks the two agree."""
    return load_policy(root / POLICY)


@dataclass
class Holdout:
    """What the model-judging tasks look at: policy, record, schema, data, and the holdout."""

    rules: Policy
    record: Record
    schema: DatasetSchema
    frame: pd.DataFrame
    x: pd.DataFrame
    y: pd.Series

    def candidate(self) -> Any:
        """The recorded model, from the tracking store."""
        from ..io import registry

        return registry.load_model(f"runs:/{self.record.model.run_id}/model")

    def groups(self, column: str) -> pd.Series:
        """A column of the holdout rows, sensitive ones included even when not model inputs."""
        return self.frame.loc[self.x.index, column]

    def driver_runs(self, model: Any) -> pd.DataFrame:
        """Permutation importance of ``model``'s inputs in each repeat, by the KPI's metric.

        A row per input, a column per repeat.
        """
        from ..core.explain import importance_runs

        scorer = METRICS[self.rules.kpi.metric].scorer
        repeats = self.rules.gates.explain.repeats
        return importance_runs(model, self.x, self.y, scorer, self.rules.data.seed, repeats)

    def drivers(self, model: Any) -> pd.Series:
        """Mean permutation importance of ``model``'s inputs, largest first."""
        from ..core.explain import importance

        return importance(self.driver_runs(model))

    def fairness(self, model: Any) -> list[Measured]:
        """Each bounded measure over each sensitive attribute, for ``model`` and for the truth."""
        y = self.y.to_numpy()
        predicted, scores = outputs(model, self.x, self.rules.task)
        return [
            Measured(
                column,
                name,
                measure(name, y, predicted, scores, self.groups(column)),
                floor(name, y, self.groups(column)),
                bound,
            )
            for column in self.rules.data.sensitive
            for name, bound in self.rules.gates.governance.fairness.items()
        ]


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


def __getattr__(name: str) -> ModuleType:
    """Submodules on first use: ``from <package> import jobs`` then ``jobs.<module>`` works."""
    return _submodule(__name__, name)
