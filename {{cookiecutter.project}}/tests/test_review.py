import shutil

import pytest
import yaml

from {{ cookiecutter.package }} import core, jobs


@pytest.fixture
def root(project, tmp_path):
    for name in ("policy.yaml", "schema.yaml", "model_card.yaml"):
        shutil.copy(project / name, tmp_path / name)
    return tmp_path


def test_a_recorded_review_matches_until_the_data_changes(root):
    card = root / "model_card.yaml"
    text = card.read_text()
    card.write_text(
        text[: text.find("\n# `make review` writes")] if "reviewed_for" in text else text
    )
    assert "was never reviewed for the data of" in jobs.review.problems(root)[0]
    assert "recorded the review" in jobs.review.review(root)
    assert jobs.review.problems(root) == []
    assert yaml.safe_load(card.read_text())["owner"]  # the human parts are kept

    schema = yaml.safe_load((root / "schema.yaml").read_text())
    schema["columns"].append({"name": "new column", "kind": "number"})
    (root / "schema.yaml").write_text(yaml.safe_dump(schema))
    (found,) = jobs.review.problems(root)
    assert "the data changed since the last review (columns added: new column)" in found
    assert found.endswith("then run `make review`")
    jobs.review.review(root)  # a second review replaces the record, it does not add one
    assert card.read_text().count("reviewed_for:") == 1 and jobs.review.problems(root) == []


def test_a_broken_card_is_one_line(root):
    (root / "model_card.yaml").write_text("owner: [unclosed")
    with pytest.raises(core.ProjectError, match="model_card.yaml: not valid YAML"):
        jobs.review.review(root)


def test_a_card_that_is_not_a_mapping_is_one_line(root):
    (root / "model_card.yaml").write_text("- owner\n- limitations\n")
    with pytest.raises(core.ProjectError, match="model_card.yaml: must be a mapping"):
        jobs.review.problems(root)
