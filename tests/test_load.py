"""The service as production runs it: from the runtime dependencies alone, and confined by the
kernel to the policy's memory and CPU in the load gate."""

import json
import urllib.request

import pytest

from tests.conftest import run
from tests.project import ENV, background, free_port

TRAINING = {"pandas", "scikit_learn", "scipy", "pyarrow", "mlflow", "skl2onnx"}


@pytest.mark.xdist_group("gates-b")  # with the other users of the trained project
class TestRuntime:
    def test_the_service_serves_from_the_runtime_group_alone(self, trained, tmp_path):
        project = trained("classification")
        environment = tmp_path / "runtime"
        sync = "uv sync --locked --no-default-groups --no-editable --quiet"
        run(sync, cwd=project, env={**ENV, "UV_PROJECT_ENVIRONMENT": str(environment)})
        installed = {
            path.name.split("-")[0].lower()
            for path in environment.glob("lib/python*/site-packages/*.dist-info")
        }
        assert {"fastapi", "onnxruntime"} <= installed
        assert installed & TRAINING == set()
        url = f"http://127.0.0.1:{free_port()}"
        env = {"PORT": url.rsplit(":", 1)[1], "PREDICTION_LOG": "off"}
        command = f"{environment}/bin/{project.name} serve"  # the image's command, no uv
        with background(command, project, env, f"{url}/health", tmp_path / "serve.log"):
            with urllib.request.urlopen(f"{url}/openapi.json") as answer:
                schemas = json.load(answer)["components"]["schemas"]
            row = next(s["examples"][0] for s in schemas.values() if "examples" in s)
            request = urllib.request.Request(
                f"{url}/predict",
                data=json.dumps(row).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request) as answer:
                assert len(json.load(answer)["predictions"]) == 1
