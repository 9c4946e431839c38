import pandas as pd
import pytest
from pydantic import ValidationError

from {{ cookiecutter.package }} import core, io


@pytest.fixture(scope="module")
def frame(project, policy):
    return io.sources.read_source(policy.data.source, project)


def test_shipped_data_fits_its_schema(frame, schema):
    assert core.tables.problems(frame, schema) == []


def test_missing_and_unexpected_columns_are_named(frame, schema):
    found = core.tables.problems(frame.drop(columns=[schema.target]).assign(extra=1), schema)
    assert found == [f"missing columns: {schema.target}", "unexpected columns: extra"]


def test_values_out_of_range_are_counted(frame, schema):
    numeric = next(c for c in schema.columns if c.kind != "category")
    broken = frame.copy()
    broken.loc[broken.index[:3], numeric.name] = numeric.max + 1
    assert f"column '{numeric.name}': 3 values above {numeric.max:g}" in core.tables.problems(
        broken, schema
    )


def test_unknown_category_and_text_in_numbers_are_reported(frame, schema):
    category = next(c for c in schema.columns if c.kind == "category")
    numeric = next(c for c in schema.columns if c.kind != "category")
    broken = frame.astype({numeric.name: object})
    broken.loc[broken.index[0], category.name] = "unheard-of"
    broken.loc[broken.index[0], numeric.name] = "n/a"
    found = " | ".join(core.tables.problems(broken, schema))
    assert "unexpected values ['unheard-of']" in found
    assert "expected numbers, found 'n/a'" in found


def test_missing_values_are_reported(frame, schema):
    broken = frame.copy()
    broken.loc[broken.index[:2], schema.target] = None
    found = " | ".join(core.tables.problems(broken, schema))
    assert f"column '{schema.target}': 2 missing values (mark it nullable" in found
    nullable = schema.model_copy(
        update={"columns": [c.model_copy(update={"nullable": True}) for c in schema.columns]}
    )
    assert core.tables.problems(broken, nullable) == []


def test_the_inferred_schema_of_the_data_is_the_shipped_one_but_for_ranges(frame, schema, policy):
    inferred = core.tables.infer(frame, schema.target, policy.task)
    assert [(c.name, c.kind, c.values) for c in inferred] == [
        (c.name, c.kind, c.values) for c in schema.columns
    ]
    assert core.tables.problems(frame, schema.model_copy(update={"columns": inferred})) == []


def test_schema_rejects_a_category_without_values():
    with pytest.raises(ValidationError, match="needs its allowed values"):
        core.schema.Column(name="colour", kind="category")


def test_schema_rejects_an_unknown_target():
    with pytest.raises(ValidationError, match="not one of the columns"):
        core.schema.DatasetSchema(target="y", columns=[core.schema.Column(name="x", kind="number")])


def test_problems_on_an_empty_table_name_every_column(schema):
    found = core.tables.problems(pd.DataFrame(), schema)
    assert found == [f"missing columns: {', '.join(schema.names)}"]


def test_inference_reads_kinds_gaps_ids_and_text():
    frame = pd.DataFrame(
        {
            "a b": [1.5, None, 2.5, 3.0] * 30,
            "n.count": [1, 2, 3, 4] * 30,
            "colour": ["red", None, "blue", "red"] * 30,
            "uid": [f"u{i}" for i in range(120)],
            "note": [f"free text {i % 70}" for i in range(120)],
            "flag": [True, False, True, True] * 30,
            "y": [0, 1, 1, 0] * 30,
        }
    )
    found = {c.name: c for c in core.tables.infer(frame, "y", "classification")}
    assert (found["a b"].kind, found["a b"].nullable, found["a b"].max) == ("number", True, 3.0)
    assert (found["n.count"].kind, found["n.count"].min) == ("integer", 1)
    assert (found["colour"].values, found["colour"].nullable) == (["blue", "red"], True)
    assert [found[name].kind for name in ("uid", "note", "flag", "y")] == [
        "id",
        "text",
        "category",
        "category",
    ]
    assert found["y"].values == ["0", "1"]


def test_rows_become_one_typed_column_per_feature_with_gaps_filled():
    features = [
        core.schema.Column(name="age", kind="integer", min=0, max=120),
        core.schema.Column(name="score", kind="number", nullable=True),
        core.schema.Column(name="colour", kind="category", values=["red", "blue"], nullable=True),
    ]
    row = core.inputs.row_model(features)
    rows = [row(age=30, score=0.5, colour="red"), row(age=41, score=None, colour=None)]
    found = core.inputs.columns(rows, features)
    assert list(found) == ["age", "score", "colour"]
    assert found["age"].tolist() == [[30], [41]] and found["age"].dtype == "int64"
    assert found["score"].shape == (2, 1) and found["score"][1, 0] != found["score"][1, 0]  # NaN
    assert found["colour"].tolist() == [["red"], [""]]
    only = core.inputs.columns([row(age=7, score=1.0, colour="blue")], features[:1])
    assert only["age"].tolist() == [[7]]
    assert {name: array.shape for name, array in core.inputs.columns([], features).items()} == {
        "age": (0, 1),
        "score": (0, 1),
        "colour": (0, 1),
    }
