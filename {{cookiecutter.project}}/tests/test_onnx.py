import numpy as np
import pytest
from sklearn.base import clone

from {{ cookiecutter.package }} import core, io, jobs


def test_the_export_predicts_what_the_pipeline_predicts(served, fitted, policy):
    model = io.onnx_model.load(served, io.record.read_record(served))
    x = fitted.parts.x_holdout
    expected = core.metrics.outputs(fitted.pipeline, x, policy.task)
    actual = model.predict(core.inputs.table_columns(x, fitted.features))
    worst, disagreements = core.onnx.agreement(expected, actual, policy.gates.onnx.tolerance)
    assert worst <= policy.gates.onnx.tolerance and disagreements == 0


def test_another_model_does_not_agree(served, fitted, policy):
    other = clone(fitted.pipeline).fit(  # the same pipeline, fitted on half the data
        fitted.parts.x_train.iloc[::2], fitted.parts.y_train.iloc[::2]
    )
    x = fitted.parts.x_holdout
    expected = core.metrics.outputs(fitted.pipeline, x, policy.task)
    actual = core.metrics.outputs(other, x, policy.task)
    worst, _ = core.onnx.agreement(expected, actual, policy.gates.onnx.tolerance)
    assert worst > policy.gates.onnx.tolerance


def test_the_record_holds_the_export_hash(served):
    exported = io.record.read_record(served).onnx
    content = (served / io.onnx_model.MODEL).read_bytes()
    assert exported is not None and exported.sha256 == io.onnx_model.digest(content)
    assert exported.bytes == len(content) and exported.file == "model/model.onnx"


def test_the_gate_passes_on_the_export_and_fails_on_another_model(tracked, fitted):
    exported = jobs.export.export(tracked)
    record = io.record.read_record(tracked)
    assert record.onnx is not None and record.onnx.model_dump() == exported
    assert io.onnx_model.load(tracked, record).metadata["run_id"] == record.model.run_id
    result = jobs.gates.run_gate("onnx", tracked)
    assert result.passed, result.reason
    assert (tracked / "reports/gates/onnx.json").exists()

    other = clone(fitted.pipeline).fit(
        fitted.parts.x_train.iloc[::2], fitted.parts.y_train.iloc[::2]
    )
    io.onnx_model.export(
        other, fitted.features, {"run_id": "another"}, tracked / io.onnx_model.MODEL
    )
    result = jobs.gates.run_gate("onnx", tracked)
    assert not result.passed
    assert "is not the record's" in result.reason and "was exported from run" in result.reason
    assert "outputs differ from scikit-learn's" in result.reason
    jobs.export.export(tracked)  # leave the project as it was


@pytest.mark.parametrize("task", ["classification", "multiclass", "regression"])
def test_agreement_reads_outputs_by_task(task):
    labels, scores = np.array([0, 1, 1]), np.array([0.2, 0.7, 0.5])
    if task == "classification":
        same = core.onnx.agreement((labels, scores), (labels, scores + 1e-7), 1e-5)
        near_boundary = core.onnx.agreement((labels, scores), (np.array([0, 1, 0]), scores), 1e-5)
        assert same == (pytest.approx(1e-7), 0) and near_boundary[1] == 0
        flipped = core.onnx.agreement((labels, scores), (np.array([1, 1, 1]), scores), 1e-5)
        assert flipped[1] == 1
    elif task == "multiclass":
        scores = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.4, 0.4, 0.2]])
        ties = core.onnx.agreement((labels, scores), (np.array([0, 1, 0]), scores), 1e-5)
        assert ties == (0.0, 0)  # the third row's two likeliest classes are level
        flipped = core.onnx.agreement((labels, scores), (np.array([1, 1, 1]), scores), 1e-5)
        assert flipped[1] == 1
    else:
        values = np.array([100.0, 0.5, -3.0])
        relative = core.onnx.agreement((values, None), (values * (1 + 1e-6), None), 1e-5)
        assert relative[0] == pytest.approx(1e-6) and relative[1] == 0
