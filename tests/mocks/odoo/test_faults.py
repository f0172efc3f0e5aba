"""Faults, the journal, the state snapshot and the rest of ``/_mock``."""

from __future__ import annotations

import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import odoorpc
import pytest

from contracts import MasterData, load_master_data
from tests.mocks.odoo.conftest import (
    DB,
    PASSWORD,
    Json2,
    OdooMock,
    Rpc,
    add_fault,
    jsonrpc,
)

SERIALIZATION = "could not serialize access due to concurrent update\n"
MULTI = Path(__file__).parents[3] / "scenarios" / "masterdata" / "multi.yaml"


def checks(rpc: Rpc, count: int) -> list[str]:
    """``count`` quality check creates: 'ok' or the fault code of each."""
    outcomes = []
    for index in range(count):
        try:
            rpc("quality.check", "create", {"x_event_id": f"qc-{index}"})
            outcomes.append("ok")
        except xmlrpc.client.Fault as fault:
            outcomes.append(str(fault.faultCode))
    return outcomes


def test_fault_rules_are_added_listed_and_removed(odoo: OdooMock) -> None:
    rule = add_fault(odoo, kind="outage", service="jsonrpc", rate=1.0)
    listed = odoo.http.get("/_mock/faults").json()

    removed = odoo.http.delete(f"/_mock/faults/{rule}")
    again = odoo.http.delete(f"/_mock/faults/{rule}")

    assert [(r["id"], r["kind"], r["service"]) for r in listed] == [
        (rule, "outage", "jsonrpc")]
    assert removed.status_code == 200 and again.status_code == 404
    assert odoo.http.get("/_mock/faults").json() == []


@pytest.mark.parametrize(("rule", "named"), [
    ({"kind": "meteor"}, "kind"), ({"kind": "outage", "rate": 2}, "rate"),
    ({"kind": "latency", "latency_ms": -5}, "latency_ms"),
    ({"kind": "outage", "sevice": "xmlrpc"}, "sevice"),
])
def test_a_bad_fault_rule_is_refused_naming_the_field(
        odoo: OdooMock, rule: dict[str, object], named: str) -> None:
    answer = odoo.http.post("/_mock/faults", json=rule)

    assert answer.status_code == 422
    assert named in answer.json()["detail"]


def test_serialization_failures_come_at_the_configured_rate(
        odoo: OdooMock, rpc: Rpc) -> None:
    rule = {"kind": "serialization_failure", "rate": 0.4, "seed": 7,
            "model": "quality.check"}
    add_fault(odoo, **rule)

    first = checks(rpc, 30)
    odoo.http.post("/_mock/reset").raise_for_status()
    add_fault(odoo, **rule)
    second = checks(rpc, 30)

    assert set(first) == {"ok", "1"}
    assert 6 <= first.count("1") <= 18
    assert second == first
    assert rpc("quality.check", "search_count", []) == first.count("ok")


def test_serialization_failure_on_every_protocol(odoo: OdooMock, rpc: Rpc,
                                                 json2: Json2) -> None:
    add_fault(odoo, kind="serialization_failure", rate=1.0)
    client = odoorpc.ODOO("127.0.0.1", port=odoo.port, timeout=10)
    client.login(DB, "integration", PASSWORD)

    with pytest.raises(xmlrpc.client.Fault) as xml:
        rpc("quality.check", "create", {})
    with pytest.raises(xmlrpc.client.Fault) as legacy:
        xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/object").execute(
            DB, rpc.uid, PASSWORD, "quality.check", "create", {})
    reply = jsonrpc(odoo, "object", "execute_kw", DB, rpc.uid, PASSWORD,
                    "quality.check", "create", [{}])
    answer = json2("quality.check", "create", vals_list=[{}])
    with pytest.raises(odoorpc.error.RPCError) as error:
        client.env["quality.check"].create({})

    assert xml.value.faultCode == 1
    assert xml.value.faultString.endswith(
        f"psycopg2.errors.SerializationFailure: {SERIALIZATION}\n")
    assert legacy.value.faultCode == SERIALIZATION
    assert reply["error"]["data"]["name"] == "psycopg2.errors.SerializationFailure"
    assert reply["error"]["data"]["message"] == SERIALIZATION
    assert answer.status_code == 409 and answer.json()["message"] == SERIALIZATION
    assert error.value.info["data"]["name"] == "psycopg2.errors.SerializationFailure"
    assert rpc("quality.check", "search_count", []) == 0


def test_reads_never_fail_to_serialize(odoo: OdooMock, rpc: Rpc) -> None:
    add_fault(odoo, kind="serialization_failure", rate=1.0)

    assert rpc("mrp.production", "search_count", []) == 1


def test_an_outage_answers_503_and_applies_nothing(odoo: OdooMock, rpc: Rpc) -> None:
    rule = add_fault(odoo, kind="outage")

    with pytest.raises(xmlrpc.client.ProtocolError) as write:
        rpc("quality.check", "create", {})
    with pytest.raises(xmlrpc.client.ProtocolError) as login:
        odoo.common().login(DB, "integration", PASSWORD)
    json2 = Json2(odoo)("quality.check", "search", domain=[])
    odoo.http.delete(f"/_mock/faults/{rule}")

    assert write.value.errcode == login.value.errcode == 503
    assert json2.status_code == 503
    assert rpc("quality.check", "search_count", []) == 0


def test_a_lost_acknowledgement_is_applied_but_unanswered(
        odoo: OdooMock, rpc: Rpc) -> None:
    add_fault(odoo, kind="lost_ack", model="maintenance.request")

    with pytest.raises(xmlrpc.client.ProtocolError) as lost:
        rpc("maintenance.request", "create", {"name": "leak", "x_event_id": "mr-1"})
    journal = odoo.http.get("/_mock/journal").json()

    assert lost.value.errcode == 504
    assert rpc("maintenance.request", "search_count",
               [("x_event_id", "=", "mr-1")]) == 1
    assert [(e["model"], e["method"], e["status"], e["outcome"], e["request_id"])
            for e in journal] == [("maintenance.request", "create", 200, "lost_ack",
                                   "mr-1")]


def test_latency_delays_the_answer(odoo: OdooMock, rpc: Rpc) -> None:
    add_fault(odoo, kind="latency", latency_ms=300, model="res.company")

    began = time.monotonic()
    rpc("res.company", "search", [])

    assert time.monotonic() - began >= 0.3


def test_an_injected_error_is_an_odoo_server_error(odoo: OdooMock, rpc: Rpc) -> None:
    add_fault(odoo, kind="error", status=500)

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("quality.check", "create", {})

    assert fault.value.faultCode == 1
    assert rpc("quality.check", "search_count", []) == 0


def test_the_journal_keeps_writes_in_arrival_order(odoo: OdooMock, rpc: Rpc) -> None:
    rpc("quality.check", "create", {"x_event_id": "qc-1"})
    rpc("res.company", "search_read", [], fields=["name"])
    with pytest.raises(xmlrpc.client.Fault):
        rpc("stock.move", "write", [999], {"origin": "x"})

    journal = odoo.http.get("/_mock/journal").json()

    assert [(e["seq"], e["method"], e["status"], e["outcome"]) for e in journal] == [
        (1, "create", 200, "ok"), (2, "write", 404, "error")]
    assert journal[0]["request_id"] == "qc-1" and journal[0]["login"] == (
        "integration")
    assert journal[1]["error"] == "odoo.exceptions.MissingError"
    assert journal[0]["body"] == {"args": [{"x_event_id": "qc-1"}], "kwargs": {}}


def test_state_shows_a_transfer_in_plant_terms(odoo: OdooMock, rpc: Rpc) -> None:
    kind = rpc.one("stock.picking.type", [("code", "=", "internal")])
    bolt = rpc.one("product.product", [("default_code", "=", "BOLT-M8")])
    picking = rpc("stock.picking", "create", {
        "picking_type_id": kind, "x_event_id": "scan-1",
        "location_id": rpc.one("stock.location", [("name", "=", "Raw")]),
        "location_dest_id": rpc.one("stock.location", [("name", "=", "Staging")]),
        "move_ids": [[0, 0, {"name": "scan", "product_id": bolt,
                             "product_uom_qty": 3}]]})
    rpc("stock.picking", "button_validate", [picking])

    state = odoo.http.get("/_mock/state").json()
    [move] = [m for m in state["moves"] if m["role"] == "transfer"]
    staged = [q for q in state["quants"] if q["storage_location"] == "STG"
              and q["material"] == "BOLT-M8"]

    assert (move["plant"], move["material"], move["storage_location"],
            move["dest_storage_location"], move["quantity"], move["uom"],
            move["state"]) == ("P100", "BOLT-M8", "RAW", "STG", "3", "Units", "done")
    assert [q["quantity"] for q in staged] == ["3"]


def test_reset_forgets_records_journal_and_faults(odoo: OdooMock, rpc: Rpc) -> None:
    rpc("quality.check", "create", {})
    add_fault(odoo, kind="latency", latency_ms=1)

    odoo.http.post("/_mock/reset").raise_for_status()

    assert rpc("quality.check", "search_count", []) == 0
    assert odoo.http.get("/_mock/journal").json() == []
    assert odoo.http.get("/_mock/faults").json() == []


@pytest.fixture
def keeps_master(odoo: OdooMock, master: MasterData) -> Iterator[OdooMock]:
    """Puts the module's master data back after a test replaces it."""
    yield odoo
    odoo.http.post("/_mock/master-data",
               json=master.model_dump(mode="json"), timeout=30).raise_for_status()


def test_master_data_replaces_the_plants(keeps_master: OdooMock) -> None:
    body = load_master_data(MULTI).model_dump(mode="json")

    answer = keeps_master.http.post("/_mock/master-data", json=body,
                        timeout=30)
    companies = Rpc(keeps_master)("res.company", "search_read", [], fields=["name"])

    assert answer.json()["plants"] == ["P100", "P200", "P300", "P400", "P500"]
    assert len(companies) == 5
    assert "Brno Pump Works" in {row["name"] for row in companies}


def test_bad_master_data_is_refused_and_nothing_changes(
        keeps_master: OdooMock, rpc: Rpc) -> None:
    answer = keeps_master.http.post("/_mock/master-data",
                        json={"plants": "P100"})

    assert answer.status_code == 422
    assert "plants" in answer.json()["detail"]
    assert rpc("mrp.production", "search_count", []) == 1
