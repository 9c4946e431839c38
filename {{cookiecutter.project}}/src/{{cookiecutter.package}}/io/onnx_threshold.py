"""A tuned decision threshold that survives the export to ONNX.

skl2onnx converts scikit-learn's ``TunedThresholdClassifierCV`` as its inner classifier alone:
the exported model then decides at 0.5, not at the tuned threshold, and the service would answer
other labels than the ones judged. The converter registered here keeps the threshold: label 1
where the positive class's probability is at least ``best_threshold_``, as scikit-learn decides.
"""

import numpy as np

NAME = "SklearnTunedThresholdClassifierCV"


def to_onnx(model, **options):
    """skl2onnx's ``to_onnx``, with the threshold-keeping converter registered first."""
    import skl2onnx
    from sklearn.model_selection import TunedThresholdClassifierCV

    skl2onnx.update_registered_converter(
        TunedThresholdClassifierCV,
        NAME,
        _shape,
        _convert,
        overwrite=True,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
    return skl2onnx.to_onnx(model, **options)


def _shape(operator) -> None:
    from skl2onnx.common.shape_calculator import _infer_linear_classifier_output_types

    _infer_linear_classifier_output_types(operator)


def _convert(scope, operator, container) -> None:
    """The inner classifier's graph, then its labels replaced by the thresholded probability."""
    from onnx import TensorProto
    from skl2onnx._supported_operators import sklearn_operator_name_map
    from skl2onnx.common.data_types import Int64TensorType

    model = operator.raw_operator
    inner = scope.declare_local_operator(sklearn_operator_name_map[type(model.estimator_)])
    inner.raw_operator = model.estimator_
    inner.inputs = operator.inputs
    probabilities = scope.declare_local_variable(
        "inner_probabilities", type(operator.outputs[1].type)()
    )
    inner.outputs.extend(
        [scope.declare_local_variable("inner_label", Int64TensorType()), probabilities]
    )

    def constant(name: str, values: list, kind: int, shape: list[int]) -> str:
        unique = scope.get_unique_variable_name(name)
        container.add_initializer(unique, kind, shape, values)
        return unique

    def node(kind: str, inputs: list[str], output: str, **attributes) -> str:
        container.add_node(
            kind, inputs, output, name=scope.get_unique_operator_name(kind), **attributes
        )
        return output

    column = [
        constant(name, [value], TensorProto.INT64, [1])
        for name, value in (("start", 1), ("end", 2), ("axis", 1))
    ]
    positive = node(
        "Slice", [probabilities.onnx_name, *column], scope.get_unique_variable_name("positive")
    )
    threshold = constant(
        "threshold", [float(np.float32(model.best_threshold_))], TensorProto.FLOAT, []
    )
    above = node("GreaterOrEqual", [positive, threshold], scope.get_unique_variable_name("above"))
    label = node("Cast", [above], scope.get_unique_variable_name("label"), to=TensorProto.INT64)
    flat = constant("flat", [-1], TensorProto.INT64, [1])
    node("Reshape", [label, flat], operator.outputs[0].full_name)
    node("Identity", [probabilities.onnx_name], operator.outputs[1].full_name)
