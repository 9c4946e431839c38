import pandas as pd
import pytest
from pydantic import ValidationError

from {{ cookiecutter.package }} import core, io


@pytest.fixture(scope="module")
def frame():
    return io.dataset.fetch()


def test_shipped_data_fits_its_schema(frame):
    assert core.schema.problems(frame, io.dataset.SCHEMA) == []


def test_missing_and_unexpected_columns_are_named(frame):
    found = core.schema.problems(
        frame.drop(columns=[io.dataset.SCHEMA.target]).assign(extra=1), io.dataset.SCHEMA
    )
    assert found == [f"missing columns: {io.dataset.SCHEMA.target}", "unexpected columns: extra"]


def test_values_out_of_range_are_counted(frame):
    numeric = next(c for c in io.dataset.SCHEMA.columns if c.kind != "category")
    broken = frame.copy()
    broken.loc[broken.index[:3], numeric.name] = numeric.max + 1
    assert f"column '{numeric.name}': 3 values above {numeric.max:g}" in core.schema.problems(
        broken, io.dataset.SCHEMA
    )


def test_unknown_category_and_text_in_numbers_are_reported(frame):
    category = next(c for c in io.dataset.SCHEMA.columns if c.kind == "category")
    numeric = next(c for c in io.dataset.SCHEMA.columns if c.kind != "category")
    broken = frame.astype({numeric.name: object})
    broken.loc[broken.index[0], category.name] = "unheard-of"
    broken.loc[broken.index[0], numeric.name] = "n/a"
    found = " | ".join(core.schema.problems(broken, io.dataset.SCHEMA))
    assert "unexpected values ['unheard-of']" in found
    assert "expected numbers, found 'n/a'" in found


def test_missing_values_are_reported(frame):
    broken = frame.copy()
    broken.loc[broken.index[:2], io.dataset.SCHEMA.target] = None
    assert f"column '{io.dataset.SCHEMA.target}': 2 missing values" in core.schema.problems(
        broken, io.dataset.SCHEMA
    )


def test_schema_rejects_a_category_without_values():
    with pytest.raises(ValidationError, match="needs its allowed values"):
        core.schema.Column(name="colour", kind="category")


def test_schema_rejects_an_unknown_target():
    with pytest.raises(ValidationError, match="not one of the columns"):
        core.schema.DatasetSchema(target="y", columns=[core.schema.Column(name="x", kind="number")])


def test_problems_on_an_empty_table_name_every_column():
    found = core.schema.problems(pd.DataFrame(), io.dataset.SCHEMA)
    assert found == [f"missing columns: {', '.join(io.dataset.SCHEMA.names)}"]
