"""Property-based run over the marketing API's OpenAPI schema: generated requests never cause a 5xx and
every documented response matches its schema."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.specs.openapi.checks import content_type_conformance
from webapp_world import MARKETER_API_KEY

EXAMPLES_PER_OPERATION = 20


@pytest.mark.slow
def test_marketing_api_survives_generated_requests(client: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app).include(path_regex="^/api/marketing")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7, [op.label for op in operations]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:  # noqa: ANN001
            case.call_and_validate(
                headers={"Authorization": f"Bearer {MARKETER_API_KEY}"},
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )

        run()
