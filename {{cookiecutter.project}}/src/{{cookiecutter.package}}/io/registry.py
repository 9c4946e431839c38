"""MLflow: where runs are tracked and models registered.

The tracking URI is ``MLFLOW_TRACKING_URI`` when set (any MLflow server, with MLflow's own auth
variables), else a local SQLite file, ``mlflow.db``, beside the project.
"""

import contextlib
import os
from collections.abc import Iterator

import pandas as pd

from {{ cookiecutter.package }}.core import ProjectError

LOCAL_STORE = "sqlite:///mlflow.db"
MODEL_NAME = "{{ cookiecutter.package }}"
EXPERIMENT = "{{ cookiecutter.project }}"


def tracking_uri() -> str:
    """The MLflow tracking URI in force."""
    return os.environ.get("MLFLOW_TRACKING_URI") or LOCAL_STORE


@contextlib.contextmanager
def tracking() -> Iterator[None]:
    """Point MLflow at the tracking URI; turn its failures into one readable error."""
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    except MlflowException as error:
        message = str(error.message).splitlines()[0]
        raise ProjectError(f"MLflow at {uri}: {message}") from None
    except OSError as error:
        raise ProjectError(f"MLflow at {uri} cannot be reached: {error}") from None


def log_training(pipeline, example: pd.DataFrame, params: dict, tags: dict) -> dict:
    """Log a fitted pipeline as a new run and register it; returns the run id and version."""
    import mlflow
    from mlflow.models import infer_signature

    with tracking():
        mlflow.set_experiment(EXPERIMENT)
        with mlflow.start_run() as run:
            mlflow.log_params(params)
            mlflow.set_tags(tags)
            info = mlflow.sklearn.log_model(
                pipeline,
                name="model",
                signature=infer_signature(example, pipeline.predict(example)),
                input_example=example,
                registered_model_name=MODEL_NAME,
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
