"""Schemathesis against the SAP mock's own OpenAPI: no valid or invalid input
makes it fail with a 5xx. Derandomized (seeded) and bounded per operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.generation.case import Case

from mocks.sap import create_app
from tests.mocks.sap.conftest import Running, logged_on, pump_plant

EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}
MINIMUM_CASES = 500


@pytest.fixture(scope="module")
def fuzzed_sap() -> Iterator[Running]:
    with Running(create_app(pump_plant(), reprocess_interval=None)) as running:
        yield running


def test_no_input_makes_the_mock_fail(fuzzed_sap: Running) -> None:
    session = logged_on(fuzzed_sap.url, "API_PROD_ORDER_CONFIRMATION_2_SRV")
    document = fuzzed_sap.app.openapi()
    # Fault rules make the mock fail on purpose; resetting would undo them.
    schema = schemathesis.openapi.from_dict(document).exclude(
        path_regex="^/_mock/(faults|reset)")
    statuses: list[int] = []
    server_errors: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        for mode, examples in EXAMPLES.items():

            @given(case=operation.as_strategy(mode))
            @settings(max_examples=examples, deadline=None, derandomize=True,
                      database=None, suppress_health_check=list(HealthCheck))
            def call(case: Case[Any]) -> None:
                response = case.call(base_url=fuzzed_sap.url, session=session,
                                     timeout=10)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    server_errors.append(
                        f"{case.method} {case.formatted_path} "
                        f"{case.query} {case.body!r:.200}: {response.text[:300]}")

            try:
                call()
            except Unsatisfiable:
                # an operation without inputs has no invalid variant
                assert mode is GenerationMode.NEGATIVE

    assert server_errors == []
    assert len(statuses) >= MINIMUM_CASES, f"only {len(statuses)} cases ran"
