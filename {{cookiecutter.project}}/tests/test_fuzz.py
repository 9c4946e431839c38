"""Generated requests, from the OpenAPI document and beyond it: none may get a 5xx."""

from collections import Counter

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from {{ cookiecutter.package }} import io, jobs, serving

# Requests per kind: 450 valid and 250 invalid by the document, 10 GETs, 300 of any JSON.
SCHEMA_DRIVEN = {GenerationMode.POSITIVE: 450, GenerationMode.NEGATIVE: 250}
ANY_JSON = 300
FAST = settings(
    database=None,
    derandomize=True,  # the same requests on every run: CI stays deterministic
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def client(served):
    rules = jobs.policy(served)
    rules.service.max_batch = 4  # small batches: quick to generate, and 413 gets its share
    with TestClient(
        serving.app.create_app(served, rules, io.record.read_record(served))
    ) as client:  # model loaded
        yield client


def test_requests_generated_from_the_openapi_document_never_get_a_5xx(client):
    app = client.app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses = Counter()
    plan = [("/predict", "POST", mode, examples) for mode, examples in SCHEMA_DRIVEN.items()]
    plan += [(path, "GET", GenerationMode.POSITIVE, 5) for path in ("/health", "/metadata")]
    for path, method, mode, times in plan:
        strategy = schema[path][method].as_strategy(generation_mode=mode)

        @settings(FAST, max_examples=times)
        @given(case=strategy)
        def call(case):
            statuses[case.call().status_code] += 1

        call()
    assert not [status for status in statuses if status >= 500], statuses
    assert statuses[200] > 100 and statuses[422] > 100, statuses  # both sides were exercised
    assert sum(statuses.values()) >= sum(SCHEMA_DRIVEN.values())


def test_any_json_in_place_of_a_row_never_gets_a_5xx(client, fitted):
    rows = st.fixed_dictionaries({column.name: JSON for column in fitted.features})
    statuses = Counter()

    @settings(FAST, max_examples=ANY_JSON)
    @given(body=JSON | rows | st.lists(rows, max_size=6))
    def call(body):
        statuses[client.post("/predict", json=body).status_code] += 1

    call()
    assert not [status for status in statuses if status >= 500], statuses
    assert sum(statuses.values()) >= ANY_JSON
