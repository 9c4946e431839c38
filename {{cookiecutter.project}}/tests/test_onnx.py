import json

import numpy as np
import pytest
from sklearn.base import clone

from {{ cookiecutter.package }}.core import inputs
from {{ cookiecutter.package }}.core.metrics import outputs
from {{ cookiecutter.package }}.io import onnx_model
from {{ cookiecutter.package }}.io.record import RECORD, read_record
from {{ cookiecutter.package }}.jobs.export import export
from {{ cookiecutter.package }}.jobs.gates import onnx as onnx_gate
from {{ cookiecutter.package }}.jobs.gates import run_gate


def test_the_export_predicts_what_the_pipeline_predicts(served, fitted, policy):
    model = onnx_model.load(served, read_record(served))
    x = fitted.parts.x_holdout
    expected = outputs(fitted.pipeline, x, policy.task)
    actual = model.predict(inputs.table_columns(x, fitted.features))
    worst, disagreements = onnx_gate.agreement(expected, actual, policy.gates.onnx.tolerance)
    assert worst <= policy.gates.onnx.tolerance and disagreements == 0


def test_another_model_does_not_agree(served, fitted, policy):
    other = clone(fitted.pipeline).fit(  # the same pipeline, fitted on less data
        fitted.parts.x_train.head(200), fitted.parts.y_train.head(200)
    )
    x = fitted.parts.x_holdout
    expected = outputs(fitted.pipeline, x, policy.task)
    actual = outputs(other, x, policy.task)
    worst, _ = onnx_gate.agreement(expected, actual, policy.gates.onnx.tolerance)
    assert worst > policy.gates.onnx.tolerance


def test_the_record_holds_the_export_hash(served):
    exported = read_record(served)["onnx"]
    content = (served / onnx_model.MODEL).read_bytes()
    assert exported["sha256"] == onnx_model.digest(content)
    assert exported["bytes"] == len(content) and exported["file"] == "model/model.onnx"


def test_the_gate_passes_on_the_export_and_fails_on_another_model(tracked, fitted):
    exported = export(tracked)
    record = json.loads((tracked / RECORD).read_text())
    assert record["onnx"] == exported
    assert onnx_model.load(tracked, record).metadata["run_id"] == record["model"]["run_id"]
    result = run_gate("onnx", tracked)
    assert result.passed, result.reason
    assert (tracked / "reports/gates/onnx.json").exists()

    other = clone(fitted.pipeline).fit(
        fitted.parts.x_train.head(200), fitted.parts.y_train.head(200)
    )
    onnx_model.export(other, fitted.features, {"run_id": "another"}, tracked / onnx_model.MODEL)
    result = run_gate("onnx", tracked)
    assert not result.passed
    assert "is not the record's" in result.reason and "was exported from run" in result.reason
    assert "outputs differ from scikit-learn's" in result.reason
    export(tracked)  # leave the project as it was


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_agreement_reads_outputs_by_task(task):
    labels, scores = np.array([0, 1, 1]), np.array([0.2, 0.7, 0.5])
    if task == "classification":
        same = onnx_gate.agreement((labels, scores), (labels, scores + 1e-7), 1e-5)
        near_boundary = onnx_gate.agreement((labels, scores), (np.array([0, 1, 0]), scores), 1e-5)
        assert same == (pytest.approx(1e-7), 0) and near_boundary[1] == 0
        flipped = onnx_gate.agreement((labels, scores), (np.array([1, 1, 1]), scores), 1e-5)
        assert flipped[1] == 1
    else:
        values = np.array([100.0, 0.5, -3.0])
        relative = onnx_gate.agreement((values, None), (values * (1 + 1e-6), None), 1e-5)
        assert relative[0] == pytest.approx(1e-6) and relative[1] == 0
