"""MLflow: where runs are tracked and models registered, and where the champion comes from.

The tracking URI is ``MLFLOW_TRACKING_URI`` when set (any MLflow server, with MLflow's own auth
variables), else a local SQLite file, ``mlflow.db``, beside the project.

The champion has two sources behind one interface (``champion``, ``load_model`` of its URI,
``champion_importance``, ``training_data``): the registry's ``champion`` alias, or, when
``CHAMPION_BUNDLE`` names one, the bundle the last release published (``io/bundle.py``), which
a pull request reads with no secret. The gates cannot tell them apart.
"""

import contextlib
import logging
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pandas as pd

from .. import PACKAGE, PROJECT
from ..core import ProjectError
from ..core.record import Record
from . import bundle
from .files import sha256, shown, without_credentials

CHAMPION = "champion"
TRAINING_DATA = Path("data/dataset.csv")  # where a run keeps its training data
LOCAL_STORE = "sqlite:///mlflow.db"
MODEL_NAME = PACKAGE
EXPERIMENT = PROJECT
GIT_COMMIT = "mlflow.source.git.commit"  # MLflow's standard tag; `git_sha` stays for the record
EXPORT_FOLDER = "onnx"  # where `make export` logs the ONNX file in the training run
EXPORT_NOTE = "ONNX export:"
# MLflow retries an unreachable server for minutes by default; a task says so within seconds.
# Each can be overridden by setting the variable.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
log = logging.getLogger(__name__)
UNREACHABLE = re.compile(r"Failed to establish a new connection: \[Errno -?\d+\] ([^'\")]+)")


def tracking_uri() -> str:
    """The MLflow tracking URI in force."""
    return os.environ.get("MLFLOW_TRACKING_URI") or LOCAL_STORE


@contextlib.contextmanager
def tracking() -> Iterator[None]:
    """Point MLflow at the tracking URI; turn its failures into one readable error.

    Neither the error nor MLflow's own output shows the URI's credentials, if it has any.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    for name, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)
    uri = tracking_uri()
    where = shown(uri)
    if where != uri:  # MLflow prints a finished run's address, the URI included
        os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    except MlflowException as error:
        message = without_credentials(str(error.message))
        unreachable = UNREACHABLE.search(message)
        if unreachable:
            raise ProjectError(f"MLflow at {where} cannot be reached: {unreachable[1]}") from None
        raise ProjectError(f"MLflow at {where}: {message.splitlines()[0]}") from None
    except OSError as error:
        message = without_credentials(str(error))
        raise ProjectError(f"MLflow at {where} cannot be reached: {message}") from None


@dataclass
class Dataset:
    """The training data as MLflow gets it: the file, its table, target and sha256."""

    path: Path
    source: str  # the file as people know it, data/dataset.csv
    frame: pd.DataFrame
    target: str
    sha256: str


def log_training(pipeline, example: pd.DataFrame, params: dict, tags: dict, data: Dataset) -> dict:
    """Log a fitted pipeline and its training data as a new run, and register the model.

    The data file is stored with the run (later gates compare new data with the data a champion
    was trained on) and logged as the run's training input, so MLflow's Datasets view lists it.
    The model's requirements are the runtime packages its objects come from, not the whole
    lock file. Returns the run id and the registered version.
    """
    import mlflow
    import skops.io
    from mlflow import MlflowClient
    from mlflow.models import infer_signature

    # MLflow stores scikit-learn models with skops, which loads only the types it is told to
    # trust. This pipeline was fitted here, so every type in it is trusted (a random forest's
    # trees, say, which skops does not trust by default).
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    commit = tags.get("git_sha", "unknown")
    final = pipeline[-1] if hasattr(pipeline, "steps") else pipeline
    # A wrapper (a tuned decision threshold, a calibration) is named by the model it wraps.
    estimator = type(getattr(final, "estimator", final)).__name__
    name = f"{estimator.lower()}-{commit[:7]}"
    description = (
        f"{estimator} trained by `make train` at commit {commit} on "
        f"{data.source} (sha256 {data.sha256[:12]}, {len(data.frame)} rows)."
    )
    standard = {GIT_COMMIT: commit, "mlflow.note.content": description}
    with tracking(), warnings.catch_warnings():
        # The schema forbids missing values, so MLflow's hint about integer columns is moot.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        # MLflow registers its local dataset source twice (for "" and "file:") and says so.
        warnings.filterwarnings("ignore", message="The specified dataset source can be")
        # uv builds environments without pip; MLflow's conda.yaml then lists pip unpinned.
        logging.getLogger("mlflow.utils.environment").addFilter(_without_pip_notice)
        mlflow.set_experiment(EXPERIMENT)
        with mlflow.start_run(run_name=name, tags={**standard, **tags}) as run:
            mlflow.log_params(params)
            mlflow.log_artifact(str(data.path), artifact_path=TRAINING_DATA.parent.name)
            mlflow.log_input(
                mlflow.data.from_pandas(
                    data.frame,
                    source=data.source,
                    targets=data.target,
                    name=data.path.name,
                    digest=data.sha256[:12],
                ),
                context="training",
            )
            info = mlflow.sklearn.log_model(
                pipeline,
                name="model",
                signature=infer_signature(example, pipeline.predict(example)),
                input_example=example,
                pip_requirements=runtime_requirements(pipeline),
                skops_trusted_types=trusted,
            )
        version = _register(f"models:/{info.model_id}")
        MlflowClient().update_model_version(MODEL_NAME, version, description=description)
    return {
        "name": MODEL_NAME,
        "run_id": run.info.run_id,
        "version": version,
        "uri": f"models:/{MODEL_NAME}/{version}",
    }


def runtime_requirements(pipeline) -> list[str]:
    """Pinned distributions the fitted pipeline's objects come from, and what loads it.

    skops (the file format), numpy and pandas (the inputs), then the package of every estimator
    and function inside, so a model's ``requirements.txt`` names what loading it needs, not
    the test and gate tools of the project's lock. MLflow adds its own pin.
    """
    from importlib.metadata import packages_distributions, version

    modules = {"skops", "numpy", "pandas"} | {
        value.__module__.split(".")[0]
        for value in [pipeline, *pipeline.get_params(deep=True).values()]
        if hasattr(value, "get_params") or callable(value)
    }
    owners = packages_distributions()
    names = {owner for module in modules - {PACKAGE} for owner in owners.get(module, [])}
    return [f"{name}=={version(name)}" for name in sorted(names)]


def _without_pip_notice(record: logging.LogRecord) -> bool:
    return "Failed to resolve installed pip version" not in record.getMessage()


def _register(model_uri: str) -> str:
    """Register a logged model as a new version; MLflow's progress prints go to the log."""
    import mlflow

    printed = StringIO()
    with contextlib.redirect_stderr(printed):
        registered = mlflow.register_model(model_uri, MODEL_NAME)
    for line in printed.getvalue().splitlines():
        log.info(line)
    return str(registered.version)


def log_export(record: Record, path: Path, sha256: str) -> None:
    """Log the ONNX export with the training run and name it in the version's description."""
    from mlflow import MlflowClient

    model = record.model
    with tracking():
        client = MlflowClient()
        client.log_artifact(model.run_id, str(path), artifact_path=EXPORT_FOLDER)
        uri = f"runs:/{model.run_id}/{EXPORT_FOLDER}/{path.name}"
        current = client.get_model_version(model.name, model.version).description or ""
        kept = current.split(EXPORT_NOTE)[0].rstrip()
        note = f"{EXPORT_NOTE} {uri} (sha256 {sha256[:12]}), the file the service runs."
        client.update_model_version(model.name, model.version, f"{kept}\n\n{note}".strip())


def log_metrics(run_id: str, metrics: dict[str, float]) -> None:
    """Add holdout metrics to the training run."""
    import mlflow

    with tracking():
        with mlflow.start_run(run_id=run_id):
            mlflow.log_metrics(metrics)


def load_model(uri: str):
    """The scikit-learn pipeline stored at a ``models:/`` or ``runs:/`` URI.

    A bundle's champion (``bundle:<folder>``) is its ONNX model, with the same methods.
    """
    import mlflow.sklearn

    if uri.startswith("bundle:"):
        return bundle.read(Path(uri.removeprefix("bundle:"))).model()

    with tracking():
        return mlflow.sklearn.load_model(uri)


def champion() -> dict | None:
    """The version the ``champion`` alias points to, with its run id; None if there is none.

    With ``CHAMPION_BUNDLE`` set, the bundle's champion instead (None if it says there is none).
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    published = bundle.folder()
    if published is not None:
        return bundle.read(published).champion()

    with tracking():
        try:
            version = MlflowClient().get_model_version_by_alias(MODEL_NAME, CHAMPION)
        except MlflowException as error:
            if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise
    return {
        "version": str(version.version),
        "run_id": version.run_id,
        "uri": f"models:/{MODEL_NAME}/{version.version}",
        "source": f"registry at {shown(tracking_uri())}",
    }


def champion_importance(found: dict) -> pd.Series | None:
    """The champion's recorded importance if its source keeps one (a bundle), else None."""
    if found["uri"].startswith("bundle:"):
        return bundle.read(Path(found["uri"].removeprefix("bundle:"))).importance()
    return None


def promote(version: str, run_id: str) -> dict | None:
    """Point ``champion`` at ``version`` after checking it is ``run_id``'s; returns the old one."""
    from mlflow import MlflowClient

    previous = champion()
    with tracking():
        client = MlflowClient()
        registered = client.get_model_version(MODEL_NAME, version)
        if registered.run_id != run_id:
            raise ProjectError(
                f"{MODEL_NAME} version {version} belongs to run {registered.run_id}, "
                f"not to the record's run {run_id}"
            )
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    return previous


def run_tags(run_id: str) -> dict:
    """The tags of a run (provenance written at training time).

    A bundle's champion run is answered from the bundle, which keeps the tags the gates compare.
    """
    from mlflow import MlflowClient

    published = bundle.folder()
    if published is not None:
        found = bundle.read(published)
        if (found.champion() or {}).get("run_id") == run_id:
            return found.tags()

    with tracking():
        return dict(MlflowClient().get_run(run_id).data.tags)


def training_data(run_id: str, folder: Path) -> Path:
    """Download the data a run was trained on into ``folder``; returns the file.

    The file must hash to the run's ``data_sha256`` tag, the data the model was trained on.
    A bundle's champion reads it from git at the champion's commit, checked the same way.
    """
    import mlflow.artifacts

    published = bundle.folder()
    if published is not None:
        found = bundle.read(published)
        if (found.champion() or {}).get("run_id") == run_id:
            return found.training_data(Path.cwd(), folder)

    expected = run_tags(run_id).get("data_sha256")
    with tracking():
        path = Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=str(TRAINING_DATA), dst_path=str(folder)
            )
        )
    actual = sha256(path)
    if actual != expected:
        raise ProjectError(
            f"run {run_id}: the {TRAINING_DATA} it keeps has sha256 {actual[:12]}, not its "
            f"data_sha256 tag's {(expected or 'missing')[:12]}: not the data it was trained on"
        )
    return path


def log_monitoring(version: str, metrics: dict[str, float], tags: dict[str, str]) -> str:
    """Append monitoring figures to the champion version's monitoring run; returns its id.

    One run per served version, in the experiment ``<project>-monitoring``: each ``make
    monitor`` adds a step, so MLflow shows drift and the KPI over time as metric history.
    """
    import time

    from mlflow import MlflowClient
    from mlflow.entities import Metric, RunTag

    with tracking():
        client = MlflowClient()
        name = f"{EXPERIMENT}-monitoring"
        existing = client.get_experiment_by_name(name)
        experiment = existing.experiment_id if existing else client.create_experiment(name)
        found = client.search_runs(
            [experiment], filter_string=f"tags.model_version = '{version}'", max_results=1
        )
        if found:
            run_id = found[0].info.run_id
        else:
            run = client.create_run(
                experiment, tags={"model_version": version}, run_name=f"{MODEL_NAME}-v{version}"
            )
            run_id = run.info.run_id
        step = len(client.get_metric_history(run_id, "rows"))
        now = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[Metric(key, value, now, step) for key, value in metrics.items()],
            tags=[RunTag(key, value) for key, value in tags.items()],
        )
        client.set_terminated(run_id)
    return run_id
