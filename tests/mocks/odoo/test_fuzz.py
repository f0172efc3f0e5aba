"""Malformed requests, wrong arity, unknown models, methods and fields.

Hypothesis (derandomized, bounded) throws them at the mock; every answer must
be the protocol's own: an XML-RPC fault with a code from 1 to 4, a JSON-RPC
``error`` with Odoo's data, or a JSON-2 error body, and never a crash, a bare
HTTP 500 or a hang.
"""

from __future__ import annotations

import json
import xmlrpc.client
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.mocks.odoo.conftest import API_KEY, DB, LOGIN, PASSWORD, OdooMock

FUZZ = settings(max_examples=120, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
MODELS = ["stock.move", "stock.picking", "stock.lot", "stock.quant", "res.company",
          "mrp.production", "mrp.workorder", "quality.check", "uom.uom",
          "no.such.model", "", "res.partner"]
METHODS = ["search", "search_read", "read", "create", "write", "unlink",
           "search_count", "fields_get", "name_search", "read_group",
           "default_get", "action_confirm", "button_validate", "button_mark_done",
           "button_start", "do_pass", "_action_done", "unknown", "__init__"]
KEYWORDS = ["context", "fields", "limit", "offset", "order", "domain", "vals",
            "vals_list", "ids", "load", "lazy", "groupby", "name", "operator"]

words = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10)
"""Text XML can carry (malformed XML has its own tests)."""
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.floats(allow_nan=False, allow_infinity=False), words,
    st.sampled_from(["id", "name", "=", "in", "ilike", "|", "&", "!", "state",
                     "product_id", "nope"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        words | st.sampled_from(KEYWORDS), inner, max_size=3),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def mock(odoo_server: tuple[OdooMock, object]) -> OdooMock:
    return odoo_server[0]


@pytest.fixture(scope="module")
def http(mock: OdooMock) -> Iterator[httpx.Client]:
    """One keep-alive client for every example."""
    with httpx.Client(base_url=mock.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def uid(mock: OdooMock) -> int:
    return mock.uid()


def post_xml(http: httpx.Client, body: bytes, path: str = "/xmlrpc/2/object"
             ) -> Any:
    """POST an XML-RPC body; the result, or the Fault it answered."""
    answer = http.post(path, content=body, headers={"Content-Type": "text/xml"})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/xml")
    try:
        return xmlrpc.client.loads(answer.content)[0][0]
    except xmlrpc.client.Fault as fault:
        return fault


def is_fault(outcome: Any) -> bool:
    return isinstance(outcome, xmlrpc.client.Fault) and outcome.faultCode in (
        1, 2, 3, 4)


@FUZZ
@given(body=st.binary(max_size=400))
def test_random_bytes_are_a_fault(http: httpx.Client, body: bytes) -> None:
    assert is_fault(post_xml(http, body))


@FUZZ
@given(cut=st.integers(min_value=0, max_value=400), junk=st.text(max_size=6),
       keep=st.integers(min_value=0, max_value=40))
def test_damaged_xml_is_a_fault_or_still_a_call(http: httpx.Client, uid: int,
                                                cut: int, junk: str, keep: int
                                                ) -> None:
    valid = xmlrpc.client.dumps((DB, uid, PASSWORD, "res.company", "search", [[]]),
                                "execute_kw")
    at = min(cut, len(valid))
    damaged = (valid[:at] + junk + valid[at + keep:]).encode()

    outcome = post_xml(http, damaged)

    assert is_fault(outcome) or isinstance(outcome, list)


@FUZZ
@given(args=st.lists(scalars | st.lists(scalars, max_size=2), max_size=9))
def test_any_arity_of_execute_kw_is_answered(http: httpx.Client,
                                            args: list[Any]) -> None:
    body = xmlrpc.client.dumps(tuple(args), "execute_kw", allow_none=True).encode()

    assert is_fault(post_xml(http, body))


@FUZZ
@given(model=st.sampled_from(MODELS), method=st.sampled_from(METHODS),
       args=st.lists(values, max_size=4),
       kwargs=st.dictionaries(st.sampled_from(KEYWORDS), values, max_size=3))
def test_any_model_method_and_arguments_are_answered(
        http: httpx.Client, uid: int, model: str, method: str, args: list[Any],
        kwargs: dict[str, Any]) -> None:
    body = xmlrpc.client.dumps((DB, uid, PASSWORD, model, method, args, kwargs),
                               "execute_kw", allow_none=True).encode()

    outcome = post_xml(http, body)

    assert is_fault(outcome) or not isinstance(outcome, xmlrpc.client.Fault)


FIELDS = ["id", "name", "state", "product_id", "product_uom_qty", "quantity",
          "location_id", "lot_ids", "move_line_ids", "company_id", "date",
          "product_id.default_code", "nope", "x_event_id", "create_date"]
OPERATORS = ["=", "!=", "<", ">", "<=", ">=", "in", "not in", "like", "ilike",
             "=like", "child_of", "~"]
leaves = st.tuples(st.sampled_from(FIELDS), st.sampled_from(OPERATORS), values)
domains = st.lists(st.sampled_from(["&", "|", "!"]) | leaves.map(list), max_size=5)
field_lists = st.lists(st.sampled_from(FIELDS), max_size=3)
vals = st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)
calls = st.one_of(
    st.tuples(st.just("search"), st.tuples(domains)),
    st.tuples(st.just("search_read"), st.tuples(domains, field_lists)),
    st.tuples(st.just("search_count"), st.tuples(domains)),
    st.tuples(st.just("read"), st.tuples(st.lists(st.integers(0, 40), max_size=3),
                                         field_lists)),
    st.tuples(st.just("create"), st.tuples(vals | st.lists(vals, max_size=2))),
    st.tuples(st.just("write"), st.tuples(st.lists(st.integers(0, 40), max_size=3),
                                          vals)),
    st.tuples(st.just("read_group"), st.tuples(domains, field_lists, field_lists)),
    st.tuples(st.just("name_search"), st.tuples(words)),
)


@FUZZ
@given(model=st.sampled_from(["stock.move", "stock.lot", "mrp.production",
                              "quality.check"]), call=calls)
def test_well_formed_calls_with_any_values_are_answered(
        http: httpx.Client, uid: int, model: str, call: tuple[str, tuple[Any, ...]]
        ) -> None:
    method, args = call
    body = xmlrpc.client.dumps((DB, uid, PASSWORD, model, method, list(args), {}),
                               "execute_kw", allow_none=True).encode()

    outcome = post_xml(http, body)

    assert is_fault(outcome) or not isinstance(outcome, xmlrpc.client.Fault)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["service", "method", "args"]),
                              values, max_size=3),
       service=st.sampled_from(["common", "db", "object", "nope"]))
def test_any_jsonrpc_call_gets_a_result_or_an_odoo_error(
        http: httpx.Client, params: dict[str, Any], service: str) -> None:
    body = {"jsonrpc": "2.0", "method": "call", "id": 5,
            "params": {"service": service, **params}}

    answer = http.post("/jsonrpc", json=body)
    reply = answer.json()

    assert answer.status_code == 200
    assert ("result" in reply) != ("error" in reply)
    if "error" in reply:
        assert set(reply["error"]["data"]) == {"name", "message", "arguments",
                                               "context", "debug"}


@FUZZ
@given(model=st.sampled_from(MODELS) | st.from_regex(r"[a-z_][a-z_.]{0,11}",
                                                      fullmatch=True),
       method=st.sampled_from(METHODS) | st.from_regex(r"[a-z_]{1,12}",
                                                       fullmatch=True),
       body=st.dictionaries(st.sampled_from(KEYWORDS) | st.text(max_size=8), values,
                            max_size=3))
def test_any_json2_call_gets_a_result_or_an_odoo_error_body(
        http: httpx.Client, model: str, method: str, body: dict[str, Any]) -> None:
    answer = http.post(f"/json/2/{model}/{method}", content=json.dumps(body).encode(),
                       headers={"Authorization": f"bearer {API_KEY}",
                                "Content-Type": "application/json"})

    reply = answer.json()

    if answer.status_code != 200:
        assert answer.status_code in (400, 401, 403, 404, 409, 422)
        assert set(reply) == {"name", "message", "arguments", "context", "debug"}
    if method not in METHODS and answer.status_code != 200:
        assert answer.status_code in (403, 404)


def test_entity_expansion_is_refused(http: httpx.Client) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<methodCall><methodName>version</methodName><params><param>"
            b"<value><string>&b;</string></value></param></params></methodCall>")

    assert is_fault(post_xml(http, bomb, "/xmlrpc/2/common"))


def test_the_mock_still_serves_after_the_fuzz(mock: OdooMock) -> None:
    uid = mock.common().login(DB, LOGIN, PASSWORD)

    assert isinstance(uid, int)
    assert mock.models().execute_kw(DB, uid, PASSWORD, "res.company", "search_count",
                                    [[]]) == 1
