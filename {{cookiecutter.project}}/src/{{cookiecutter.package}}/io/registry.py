"""MLflow: where runs are tracked and models registered.

The tracking URI is ``MLFLOW_TRACKING_URI`` when set (any MLflow server, with MLflow's own auth
variables), else a local SQLite file, ``mlflow.db``, beside the project.
"""

import contextlib
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .. import PACKAGE, PROJECT
from ..core import ProjectError
from .files import sha256, shown, without_credentials

CHAMPION = "champion"
TRAINING_DATA = Path("data/dataset.csv")  # where a run keeps its training data
LOCAL_STORE = "sqlite:///mlflow.db"
MODEL_NAME = PACKAGE
EXPERIMENT = PROJECT
# MLflow retries an unreachable server for minutes by default; a task says so within seconds.
# Each can be overridden by setting the variable.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
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


def log_training(pipeline, example: pd.DataFrame, params: dict, tags: dict, data: Path) -> dict:
    """Log a fitted pipeline and its training data as a new run, and register the model.

    The data file is stored with the run, so later gates can compare new data with the data
    a champion was trained on. Returns the run id and the registered version.
    """
    import mlflow
    import skops.io
    from mlflow.models import infer_signature

    # MLflow stores scikit-learn models with skops, which loads only the types it is told to
    # trust. This pipeline was fitted here, so every type in it is trusted (a random forest's
    # trees, say, which skops does not trust by default).
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    with tracking(), warnings.catch_warnings():
        # The schema forbids missing values, so MLflow's hint about integer columns is moot.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        mlflow.set_experiment(EXPERIMENT)
        with mlflow.start_run() as run:
            mlflow.log_params(params)
            mlflow.set_tags(tags)
            mlflow.log_artifact(str(data), artifact_path=TRAINING_DATA.parent.name)
            info = mlflow.sklearn.log_model(
                pipeline,
                name="model",
                signature=infer_signature(example, pipeline.predict(example)),
                input_example=example,
                registered_model_name=MODEL_NAME,
                skops_trusted_types=trusted,
            )
    return {
        "name": MODEL_NAME,
        "run_id": run.info.run_id,
        "version": str(info.registered_model_version),
        "uri": f"models:/{MODEL_NAME}/{info.registered_model_version}",
    }


def log_metrics(run_id: str, metrics: dict[str, float]) -> None:
    """Add holdout metrics to the training run."""
    import mlflow

    with tracking():
        with mlflow.start_run(run_id=run_id):
            mlflow.log_metrics(metrics)


def load_model(uri: str):
    """The scikit-learn pipeline stored at a ``models:/`` or ``runs:/`` URI."""
    import mlflow.sklearn

    with tracking():
        return mlflow.sklearn.load_model(uri)


def champion() -> dict | None:
    """The version the ``champion`` alias points to, with its run id; None if there is none."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

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
    }


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
    """The tags of a run (provenance written at training time)."""
    from mlflow import MlflowClient

    with tracking():
        return dict(MlflowClient().get_run(run_id).data.tags)


def training_data(run_id: str, folder: Path) -> Path:
    """Download the data a run was trained on into ``folder``; returns the file.

    The file must hash to the run's ``data_sha256`` tag, the data the model was trained on.
    """
    import mlflow.artifacts

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
