"""The policy file: business goal, KPI and every threshold the gates apply, validated at load."""

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import ProjectError
from .metrics import METRICS, known_measures, metrics_for
from .schema import DatasetSchema


class Strict(BaseModel):
    """A policy section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Kpi(Strict):
    """The business measure the model is run for."""

    name: str = Field(min_length=1)
    metric: str
    target: float


class Threshold(Strict):
    """A bound on one metric: ``at_least`` for metrics where higher is better, else ``at_most``."""

    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> "Threshold":
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least or at_most")
        return self

    @property
    def bound(self) -> float:
        """The bound, whichever side it is on."""
        bound = self.at_least if self.at_least is not None else self.at_most
        assert bound is not None  # the validator requires one
        return bound


class DataPolicy(Strict):
    """Where the data comes from, its target, how it is split, which columns are sensitive."""

    source: str = Field(min_length=1)  # demo:<name>, or a path or URL of a CSV or Parquet file
    target: str = Field(min_length=1)
    positive: str | None = None  # classification: the class scored (None: the last, sorted)
    id: str | None = None  # a column that identifies rows: never a model input
    time: str | None = None  # when a row happened: never a model input
    holdout: float = Field(gt=0, lt=1)
    seed: int
    sensitive: list[str] = []
    sensitive_as_features: list[str] = []

    @model_validator(mode="after")
    def _allowed_are_sensitive(self) -> "DataPolicy":
        unknown = set(self.sensitive_as_features) - set(self.sensitive)
        if unknown:
            raise ValueError(f"sensitive_as_features lists non-sensitive columns {sorted(unknown)}")
        return self

    @property
    def excluded_features(self) -> list[str]:
        """Columns that must not be model inputs: id, time, and sensitive ones not allowed."""
        sensitive = [c for c in self.sensitive if c not in self.sensitive_as_features]
        return [c for c in (self.id, self.time) if c] + sensitive


class StandardsGate(Strict):
    """Code and documentation standards."""

    readme_sections: list[str] = Field(min_length=1)


class ReproduceGate(Strict):
    """Retraining in a clean environment must give back the committed record."""

    tolerance: float = Field(ge=0)


class AccuracyGate(Strict):
    """What the candidate is judged against, beyond the thresholds.

    The champion (how much worse it may be, beyond holdout noise), a trivial model (how much
    better it must be) and its own record (how far the served model's scores may be from it).
    """

    champion_tolerance: dict[str, float]
    confidence: float = Field(gt=0.5, lt=1)
    bootstrap_samples: int = Field(ge=100)
    baseline_margin: dict[str, Annotated[float, Field(ge=0)]]
    served_tolerance: float = Field(gt=0, le=0.1)


class ExplainGate(Strict):
    """What the model may lean on, by permutation importance on the holdout."""

    top_k: int = Field(ge=1)
    leakage_score: float = Field(gt=0, le=1)  # one input alone scoring this is a leakage alarm
    forbidden_drivers: list[str] | None = None  # default: the sensitive attributes
    min_kept: int = Field(ge=0)  # of the champion's top_k drivers, among the candidate's
    repeats: int = Field(ge=1)  # shuffles of each input for permutation importance

    @model_validator(mode="after")
    def _kept_within_top(self) -> "ExplainGate":
        if self.min_kept > self.top_k:
            raise ValueError(f"min_kept {self.min_kept} is more than top_k {self.top_k}")
        return self


class GovernanceGate(Strict):
    """Fairness bounds, data drift and quality limits, and columns that must never be inputs."""

    fairness: dict[str, float]
    max_drift_share: float = Field(ge=0, le=1)
    forbidden_features: list[str]


class OnnxGate(Strict):
    """The exported ONNX model must predict what the scikit-learn pipeline predicts."""

    tolerance: float = Field(gt=0)


class LoadGate(Strict):
    """The service, started with the production command, under a Locust load."""

    users: int = Field(ge=1)
    spawn_rate: float = Field(gt=0)
    seconds: int = Field(ge=1)
    workers: int = Field(ge=1)
    p95_ms: float = Field(gt=0)
    max_failure_ratio: float = Field(ge=0, le=1)
    min_rps: float = Field(ge=0)
    max_cpu_percent: float = Field(gt=0)
    max_rss_mb: float = Field(gt=0)


class Service(Strict):
    """The prediction service."""

    max_batch: int = Field(ge=1)
    max_body_bytes: int = Field(ge=1024)


class Monitoring(Strict):
    """How production traffic is judged by ``make monitor``."""

    window_hours: float = Field(gt=0)
    min_rows: int = Field(ge=1)
    max_drift_share: float = Field(ge=0, le=1)
    min_labelled_rows: int = Field(ge=1)


class Gates(Strict):
    """Settings of each gate."""

    standards: StandardsGate
    reproduce: ReproduceGate
    accuracy: AccuracyGate
    explain: ExplainGate
    governance: GovernanceGate
    onnx: OnnxGate
    load: LoadGate


class Policy(Strict):
    """The whole policy file."""

    goal: str = Field(min_length=1)
    task: Literal["classification", "multiclass", "regression"]  # classification: binary
    kpi: Kpi
    data: DataPolicy
    thresholds: dict[str, Threshold]
    gates: Gates
    service: Service
    monitoring: Monitoring

    @model_validator(mode="after")
    def _metrics_fit_task(self) -> "Policy":
        if self.task != "classification" and self.data.positive is not None:
            raise ValueError(f"data.positive: a {self.task} target has no positive class")
        allowed = metrics_for(self.task)
        for name in [self.kpi.metric, *self.thresholds]:
            if name not in allowed:
                raise ValueError(f"metric {name!r} is not a {self.task} metric ({allowed})")
        for name, threshold in self.thresholds.items():
            wanted = "at_least" if METRICS[name].higher_is_better else "at_most"
            if getattr(threshold, wanted) is None:
                raise ValueError(f"thresholds.{name}: {name} needs {wanted}")
        unknown = set(self.gates.governance.fairness) - set(known_measures(self.task))
        if unknown:
            raise ValueError(
                f"gates.governance.fairness: unknown measures {sorted(unknown)} "
                f"(known: {known_measures(self.task)})"
            )
        for key in ("champion_tolerance", "baseline_margin"):
            named = set(getattr(self.gates.accuracy, key))
            if named != set(self.thresholds):
                raise ValueError(
                    f"gates.accuracy.{key} needs exactly the metrics of thresholds "
                    f"({sorted(self.thresholds)}), not {sorted(named)}"
                )
        return self

    @property
    def forbidden_drivers(self) -> list[str]:
        """Columns that may not be among the top drivers: the policy's list, else the sensitive."""
        chosen = self.gates.explain.forbidden_drivers
        return self.data.sensitive if chosen is None else chosen

    @property
    def kpi_met(self) -> str:
        """How the KPI target reads, e.g. ``roc_auc >= 0.68``."""
        sign = ">=" if METRICS[self.kpi.metric].higher_is_better else "<="
        return f"{self.kpi.metric} {sign} {self.kpi.target:g}"


def schema_problems(policy: Policy, schema: DatasetSchema) -> list[str]:
    """Every column the policy names that the data does not have, or that is the target."""
    keys = {
        "data.sensitive": policy.data.sensitive,
        "data.sensitive_as_features": policy.data.sensitive_as_features,
        "gates.explain.forbidden_drivers": policy.gates.explain.forbidden_drivers or [],
    }
    found = []
    for key, names in keys.items():
        for name in names:
            if name == schema.target:
                found.append(f"{key} names {name!r}, which is the target")
            elif name not in schema.names:
                found.append(
                    f"{key} names {name!r}, which the data does not have "
                    f"(columns: {', '.join(schema.names)})"
                )
    return found


def load_policy(path: Path) -> Policy:
    """Read and validate the policy file, or raise one readable ``ProjectError``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{path}: policy file not found") from None
    except yaml.YAMLError as error:
        raise ProjectError(f"{path}: not valid YAML ({error})".replace("\n", " ")) from None
    try:
        return Policy.model_validate(raw)
    except ValidationError as error:
        raise ProjectError(f"{path}: {describe(error)}") from None


def describe(error: ValidationError) -> str:
    """Pydantic's errors as one line: ``where: what`` for each, joined by semicolons."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "top level"
        parts.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)
