import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package }}.io.data import fetch_dataset
from {{ cookiecutter.package }}.jobs import policy as load_project_policy

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """A copy of the project's policy and lock with freshly fetched data, in a temporary root."""
    root = tmp_path_factory.mktemp("project")
    for name in ("policy.yaml", "uv.lock"):
        shutil.copy(PROJECT / name, root / name)
    fetch_dataset(root)
    return root


@pytest.fixture(scope="session")
def policy(project):
    return load_project_policy(project)


@pytest.fixture(scope="session")
def tracked(project, tmp_path_factory):
    """A project trained and evaluated against its own throw-away MLflow store."""
    from {{ cookiecutter.package }}.jobs.evaluate import evaluate
    from {{ cookiecutter.package }}.jobs.train import train

    store = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        patch.chdir(store)  # keeps MLflow's artifact folder out of the project
        train(project)
        evaluate(project)
    return project
