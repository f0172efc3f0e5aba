"""The committed OpenAPI document: no drift from the routes, and the running
gateway honours it under schemathesis (no 5xx, conforming answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance

from gateway import create_app
from gateway.cli import OPENAPI_PATH
from gateway.openapi import render_openapi
from tests.gateway.conftest import OPERATOR_KEY, PLANT_KEY, gateway_config, serve

CASES_PER_BODY_OPERATION = 220
# The document describes the envelope, not every business rule of every
# payload (decimal digits, a scan moving somewhere); a schema-valid event may
# still break the contract and get its 400. Everything else is checked.
_ASPIRATIONAL = [positive_data_acceptance]


def test_the_committed_openapi_document_matches_the_routes() -> None:
    committed = OPENAPI_PATH.read_text(encoding="utf-8")

    assert committed == render_openapi(), (
        "contracts/openapi/gateway.json drifted; run `plantwin gateway openapi`"
    )


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    config = gateway_config(tmp, sap_url="http://127.0.0.1:9")
    with serve(create_app(config)) as url:
        yield url


def fuzz(operation: Any, base_url: str, key: str) -> int:
    """Run schemathesis against one operation; return how many cases ran."""
    has_body = bool(operation.body)
    cases: list[int] = []

    @given(case=operation.as_strategy(), with_key=st.booleans())
    @settings(
        max_examples=CASES_PER_BODY_OPERATION if has_body else 5,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case, with_key: bool) -> None:
        headers = {"Authorization": f"Bearer {key}"} if with_key or has_body else {}
        case.call_and_validate(
            base_url=base_url, headers=headers, excluded_checks=_ASPIRATIONAL
        )
        cases.append(1)

    run()
    return len(cases)


def test_schemathesis_finds_no_server_error_and_no_nonconforming_answer(
    gateway: str,
) -> None:
    schema = schemathesis.openapi.from_path(OPENAPI_PATH)
    counted = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        ingress = operation.path.startswith("/v1/events")
        counted += fuzz(operation, gateway, PLANT_KEY if ingress else OPERATOR_KEY)

    assert counted >= 1000
