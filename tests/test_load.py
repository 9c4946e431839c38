"""The service as production runs it: from the runtime dependencies alone, and confined by the
kernel to the policy's memory and CPU in the load gate."""

import json
import re
import urllib.request

import pytest

from tests.conftest import run
from tests.project import ENV, background, changed, edit, free_port, gate

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


@pytest.mark.xdist_group("gates-b")
class TestConfinement:
    """This machine has writable cgroup v1 hierarchies as root: the gate must use one."""

    def test_an_untouched_project_passes_inside_a_real_cgroup(self, trained):
        report = gate(trained("classification"), "load")
        assert report["passed"], report["reason"]
        confinement = report["figures"]["confinement"]
        assert confinement["kind"].startswith("cgroup") and confinement["oom_kills"] == 0
        assert re.search(r"confined by a cgroup v[12] to 400 MB and 120% CPU", report["reason"])

    def test_a_memory_limit_below_the_services_need_is_an_oom_kill_in_words(self, trained):
        project = trained("classification")
        with changed(project):
            edit(project / "policy.yaml", "max_rss_mb: 400", "max_rss_mb: 30")
            report = gate(project, "load")
        assert not report["passed"]
        assert re.search(
            r"the service was killed by the kernel at its 30 MB limit after [\d.]+ s of "
            r"(startup|load)",
            report["reason"],
        )
        assert report["figures"]["confinement"]["oom_kills"] >= 1
        # ...and the Kubernetes Deployment no longer carries the policy's limit.
        drift = "limits.memory is 400Mi, the policy says 30Mi: run make manifests"
        assert drift in report["reason"]
