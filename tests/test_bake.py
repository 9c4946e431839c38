"""Baking: every supported combination renders the exact tree, valid files, no Jinja left."""

import json
import re
import warnings
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException

from tests.conftest import run
from tests.matrix import REFUSED, SUPPORTED, label

# The generated tree, the same for every option (alternatives share a name).
TREE = """
.flake8 .gitignore .pre-commit-config.yaml .python-version LICENSE Makefile README.md
policy.yaml pyproject.toml uv.lock benchmarks/gates.py model_card.yaml .github/CODEOWNERS
Dockerfile .dockerignore locustfile.py benchmarks/serving.py benchmarks/serving_load.py
benchmarks/hostile.py src/{p}/core/inputs.py src/{p}/io/onnx_model.py src/{p}/jobs/export.py
src/{p}/serving/__init__.py src/{p}/serving/app.py src/{p}/serving/guard.py
src/{p}/serving/launcher.py src/{p}/serving/model.py src/{p}/serving/prediction_log.py
src/{p}/serving/telemetry.py src/{p}/jobs/gates/load.py src/{p}/jobs/gates/onnx.py
tests/test_fuzz.py tests/test_service.py tests/test_onnx.py
src/{p}/io/server.py src/{p}/jobs/release.py .github/workflows/gates.yml
.github/workflows/deploy.yml .github/dependabot.yml .github/pull_request_template.md
deploy/k8s/base/kustomization.yaml deploy/k8s/base/deployment.yaml deploy/k8s/base/service.yaml
deploy/k8s/base/hpa.yaml deploy/k8s/overlays/production/kustomization.yaml
src/{p}/core/kubernetes.py src/{p}/jobs/manifests.py tests/test_manifests.py
.github/workflows/monitor.yml src/{p}/core/tables.py src/{p}/io/sources.py
src/{p}/core/load.py src/{p}/io/cgroups.py tests/test_load.py .github/actions/setup/action.yml
src/{p}/io/bundle.py src/{p}/jobs/champion.py tests/test_bundle.py
src/{p}/core/monitoring.py src/{p}/io/traffic.py src/{p}/jobs/monitor.py tests/test_monitoring.py
src/{p}/__init__.py src/{p}/__main__.py src/{p}/cli.py
src/{p}/core/__init__.py src/{p}/core/comparison.py src/{p}/core/features.py
src/{p}/core/gates.py src/{p}/core/metrics.py src/{p}/core/pipeline.py src/{p}/core/policy.py
src/{p}/core/schema.py src/{p}/core/explain.py src/{p}/core/fairness.py
src/{p}/core/privacy.py src/{p}/io/drift.py src/{p}/jobs/card.py src/{p}/jobs/gates/explain.py
src/{p}/jobs/gates/governance.py
src/{p}/io/__init__.py src/{p}/io/data.py src/{p}/io/dataset.py src/{p}/io/files.py
schema.yaml src/{p}/jobs/schema.py src/{p}/jobs/review.py tests/test_review.py
src/{p}/io/record.py src/{p}/io/registry.py src/{p}/io/reports.py
src/{p}/jobs/__init__.py src/{p}/jobs/eda.py src/{p}/jobs/evaluate.py src/{p}/jobs/train.py
src/{p}/jobs/promote.py src/{p}/jobs/gates/__init__.py src/{p}/jobs/gates/accuracy.py
src/{p}/core/comment.py src/{p}/jobs/comment.py tests/test_comment.py
src/{p}/jobs/gates/reproduce.py src/{p}/jobs/gates/standards.py
src/{p}/core/accuracy.py src/{p}/io/onnx_threshold.py tests/test_accuracy.py
tests/conftest.py tests/test_data.py tests/test_metrics.py tests/test_model.py
tests/test_policy.py tests/test_schema.py tests/test_registry.py tests/test_gate_rules.py
src/{p}/core/card.py src/{p}/core/governance.py src/{p}/core/onnx.py src/{p}/core/record.py
src/{p}/core/reproduce.py src/{p}/io/card.py tests/test_verdicts.py
"""

# Jinja left behind; a GitHub expression, ``${{ }}``, is meant to be there.
JINJA = re.compile(r"(?<!\$){{|{%")


def files(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


@pytest.mark.parametrize("options", SUPPORTED, ids=label)
def test_each_combination_bakes_the_exact_tree(bake, options):
    project = bake(**options)
    assert files(project) == set(TREE.format(p=project.name.replace("-", "_")).split())
    for path in project.rglob("*"):
        if path.is_file():
            assert not JINJA.search(path.read_text(encoding="utf-8")), f"Jinja left in {path}"
    assert (project / ".python-version").read_text().strip() == options["python_version"]
    assert yaml.safe_load((project / "policy.yaml").read_text())["task"] == options["task"]
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["license"] == options["license"]
    assert (project / "LICENSE").read_text().strip()
    # The generated code is black- and flake8-clean as baked (the same config the project uses).
    run("black --check --quiet . && flake8", cwd=project)
    check_kubernetes(project)
    # The workflows are copied, not rendered (`_copy_without_render`); CODEOWNERS names the
    # package. Audited on every combination all the same: seconds, offline.
    check_workflows(project)


def check_workflows(project: Path) -> None:
    """The three checkers find nothing (each exits non-zero on a finding); zizmor audits as an
    auditor, where only informational findings, each justified in DESIGN.md, may stay."""
    run(
        "zizmor --offline --quiet --persona auditor --min-severity low .github"
        " && check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml"
        " && check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml"
        " && actionlint .github/workflows/*.yml",
        cwd=project,
    )
    audit = run(
        "zizmor --offline --quiet --persona auditor --no-exit-codes --format json .github",
        cwd=project,
    )
    design = (Path(__file__).parents[1] / "DESIGN.md").read_text()
    for ident in {finding["ident"] for finding in json.loads(audit.stdout)}:
        assert f"`{ident}`" in design, f"zizmor's {ident} is not justified in DESIGN.md"


def check_kubernetes(project: Path) -> None:
    """The manifests validate offline, and the Deployment's limits are the load gate's."""
    base = project / "deploy" / "k8s" / "base"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    assert all((base / name).exists() for name in kustomization["resources"])
    resources = " ".join(str(base / name) for name in kustomization["resources"])
    run(f"kubernetes-validate --strict --quiet {resources}", cwd=project)
    overlay = project / "deploy" / "k8s" / "overlays" / "production" / "kustomization.yaml"
    assert yaml.safe_load(overlay.read_text())["resources"] == ["../../base"]

    load = yaml.safe_load((project / "policy.yaml").read_text())["gates"]["load"]
    deployment = yaml.safe_load((base / "deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    expected = {
        "cpu": f"{int(load['max_cpu_percent'] * 10)}m",
        "memory": f"{int(load['max_rss_mb'])}Mi",
    }
    assert container["resources"] == {"requests": expected, "limits": expected}
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"


HOSTILE = [
    {"author": 'O\'Brien "Bob" \\ Smith'},
    {"author": "Zoë Ðurić 李小龙", "project_name": "Ünïcode Ñame"},
    {"project_name": 'It\'s a "quoted" \\ name', "project": "quoted-name"},
    {"author": "Tom <script>alert(1)</script> & co"},
    {"author": "{{ 7 * 7 }}"},
    {"author": "{% raw %}{{ cookiecutter.email }}{% endraw %}"},
]


@pytest.mark.parametrize("answers", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_free_text_bakes_into_valid_files(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exception is None, result.exception
    project = Path(result.project_path)
    context = result.context
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["authors"][0]["name"] == context["author"]
    assert metadata["description"] == context["project_name"]
    assert context["author"] in (project / "README.md").read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in project.rglob("*.py"):
            compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_undefined_jinja_in_free_text_fails_cleanly(cookies):
    result = cookies.bake(extra_context={"author": "{{ nothing.here }}"})
    assert result.exception is not None
    assert not list(Path(result.project_path or cookies._new_output_dir()).glob("*"))


@pytest.mark.parametrize("change, words", REFUSED, ids=[w for _, w in REFUSED])
def test_bad_answers_stop_generation_and_leave_nothing(cookies, change, words, tmp_path):
    result = cookies.bake(extra_context=change)
    assert isinstance(result.exception, FailedHookException)
    output = Path(cookies._new_output_dir()).parent
    assert not [p for p in output.rglob("*") if p.is_file() and p.suffix != ".json"]


def test_choices_outside_cookiecutter_json_are_refused(cookies):
    result = cookies.bake(extra_context={"task": "clustering"})
    assert result.exception is not None and "clustering" in str(result.exception)
