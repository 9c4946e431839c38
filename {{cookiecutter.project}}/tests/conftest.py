import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from {{ cookiecutter.package }} import PACKAGE, core, io, jobs

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """A copy of the project's policy, schema, model card and lock, and of its data snapshot (or
    freshly fetched data before the first `make data`), in a temporary root."""
    root = tmp_path_factory.mktemp("project")
    for name in ("policy.yaml", "schema.yaml", "model_card.yaml", "uv.lock"):
        shutil.copy(PROJECT / name, root / name)
    if (PROJECT / io.data.MANIFEST).exists():
        shutil.copytree(PROJECT / io.data.MANIFEST.parent, root / io.data.MANIFEST.parent)
    else:
        io.data.fetch_dataset(root, jobs.policy(root))
    return root


@pytest.fixture(scope="session")
def policy(project):
    return jobs.policy(project)


@pytest.fixture(scope="session")
def schema(project, policy):
    """The project's dataset schema: schema.yaml with the policy's target."""
    return io.dataset.load_schema(project, policy)


@pytest.fixture(scope="session")
def tracked(project, tmp_path_factory):
    """A project trained and evaluated against its own throw-away MLflow store.

    The store stays the tracking URI for the rest of the session, so tests can load the model.
    """

    store = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        with pytest.MonkeyPatch.context() as inside:
            inside.chdir(store)  # keeps MLflow's artifact folder out of the project
            jobs.train.train(project)
            jobs.evaluate.evaluate(project)
        yield project


@pytest.fixture(scope="session")
def fitted(project, policy, schema):
    """The pipeline fitted on the training split, without MLflow, with the split and features."""
    frame, digest = io.data.load_dataset(project, policy)
    parts = io.data.split(frame, schema, policy)
    features = schema.features(exclude=policy.data.excluded_features)
    pipeline = core.pipeline.build_pipeline(features, seed=policy.data.seed).fit(
        parts.x_train, parts.y_train
    )
    return SimpleNamespace(pipeline=pipeline, parts=parts, features=features, data_sha256=digest)


@pytest.fixture(scope="session")
def served(project, policy, fitted, tmp_path_factory):
    """A root the service can start from: policy, data, the fitted pipeline's export, a record."""
    root = tmp_path_factory.mktemp("served")
    for name in ("policy.yaml", "schema.yaml"):
        shutil.copy(project / name, root / name)
    shutil.copytree(project / "data", root / "data")
    model = {
        "name": PACKAGE,
        "version": "7",
        "run_id": "fitted-in-the-tests",
    }
    path = root / io.onnx_model.MODEL
    exported = io.onnx_model.export(
        fitted.pipeline, fitted.features, {"run_id": model["run_id"]}, path
    )
    exported["model_sha256"] = io.bundle.model_digest(path.read_bytes())
    record = {
        "model": model,
        "task": policy.task,
        "features": [column.name for column in fitted.features],
        "data_sha256": fitted.data_sha256,
        "metrics": {name: 0.5 for name in core.metrics.metrics_for(policy.task)},
        "onnx": exported,
    }
    io.record.write_record(root, core.record.Record.model_validate(record))
    return root
