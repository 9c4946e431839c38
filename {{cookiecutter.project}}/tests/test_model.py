import pytest

from {{ cookiecutter.package }} import core, io, jobs


def fit(project, policy):
    frame, _ = io.data.load_dataset(project, policy)
    schema = io.dataset.load_schema(project, policy)
    parts = io.data.split(frame, schema, policy)
    features = schema.features(exclude=policy.data.excluded_features)
    model = core.pipeline.build_pipeline(features, seed=policy.data.seed).fit(
        parts.x_train, parts.y_train
    )
    return jobs.evaluate.score_model(model, parts.x_holdout, parts.y_holdout, policy.task)


def test_training_is_deterministic(project, policy):
    assert fit(project, policy) == fit(project, policy)


def test_the_model_meets_the_policy_thresholds(project, policy):
    metrics = fit(project, policy)
    for name, threshold in policy.thresholds.items():
        assert core.metrics.is_better_or_equal(name, metrics[name], threshold.bound), (
            name,
            metrics[name],
        )


def test_train_and_evaluate_write_a_record_that_matches_a_refit(tracked, policy):
    record = io.record.read_record(tracked)
    assert record.model.version == "1" and record.model.run_id
    assert record.data_sha256 and record.lock_sha256 != "missing"
    assert record.metrics == pytest.approx(fit(tracked, policy), abs=1e-12)
