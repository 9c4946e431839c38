"""A tracking URI's credentials never show: each command that talks to the tracking server,
failing against one that does not answer, names the server without them in its one line of
error and leaves them in no report. (The deploy workflow under act, in test_workflow, runs the
same commands against a real server through a URI with credentials, and checks its log, its
artifacts, the release and the production branch.)"""

import os

import pytest

from tests.act import COMMANDS
from tests.conftest import attempt
from tests.project import ENV, changed, free_port

# Each command that reads or writes the tracking store. `make champion` reads a release, not
# the store: it runs with the same settings and must print nothing of them either.
AGAINST_THE_STORE = {
    "make gates GATES=accuracy,explain,governance": True,
    "make champion": False,
    "make promote": True,
    "make release": True,
    "make monitor MONITOR_INPUTS=data/dataset.csv": True,
}


@pytest.mark.xdist_group("gates-b")
def test_credentials_in_the_tracking_uri_never_show(trained, tmp_path):
    project = trained("classification")
    uri = f"http://user:secret@127.0.0.1:{free_port()}/"  # nothing listens there
    env = {
        **ENV,
        "MLFLOW_TRACKING_URI": uri,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "SERVICE_TARGET": "process",
        # `make champion` downloads the bundle with gh: the stand-in, with no release yet.
        "PATH": os.pathsep.join([str(COMMANDS), os.environ["PATH"]]),
        "STANDIN_GITHUB": str(tmp_path / "github"),
    }
    with changed(project):
        for command, fails in AGAINST_THE_STORE.items():
            done = attempt(command, project, env, timeout=600)
            printed = done.stdout + done.stderr
            assert (done.returncode != 0) == fails, f"{command}: {printed[-2000:]}"
            assert "secret" not in printed, f"{command}: {printed}"
            assert "Traceback" not in printed, f"{command}: {printed[-2000:]}"
            leaked = [
                str(path.relative_to(project))
                for folder in ("reports", "champion", "model")
                for path in (project / folder).rglob("*")
                if path.is_file() and b"secret" in path.read_bytes()
            ]
            assert not leaked, f"{command} wrote the password into {leaked}"
            said = [line for line in printed.splitlines() if not line.startswith("make")]
            print(f"{command}: {said[-1] if said else ''}")
