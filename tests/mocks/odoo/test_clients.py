"""Odoo's own clients, unchanged, against the mock."""

from __future__ import annotations

import xmlrpc.client

import httpx
import odoorpc
import pytest

from tests.mocks.odoo.conftest import API_KEY, DB, LOGIN, PASSWORD, OdooMock, Rpc


def test_odoorpc_logs_in_and_reads_with_domains(client: odoorpc.ODOO) -> None:
    Product = client.env["product.product"]

    tracked = Product.search([("tracking", "=", "lot"), "|",
                              ("default_code", "ilike", "pump"),
                              ("default_code", "=", "HSG-100")])
    pump = Product.browse(Product.search([("default_code", "=", "PUMP-100")]))

    assert len(tracked) == 2
    assert "odoo" not in client.version and client.version.startswith("19")
    assert pump.uom_id.name == "Units"
    assert client.db.list() == [DB]


def test_odoorpc_creates_writes_and_confirms(client: odoorpc.ODOO) -> None:
    Request = client.env["maintenance.request"]
    equipment = client.env["maintenance.equipment"].search([("name", "=", "CNC-01")])

    request_id = Request.create({"name": "Spindle noise", "equipment_id": equipment[0],
                                 "x_event_id": "evt-1"})
    done = client.env["maintenance.stage"].search([("done", "=", True)], limit=1)
    Request.write([request_id], {"stage_id": done[0]})
    [row] = Request.read([request_id], ["stage_id", "close_date", "x_event_id"])

    assert row["stage_id"][1] == "Repaired"
    assert row["close_date"]
    assert Request.search_count([("x_event_id", "=", "evt-1")]) == 1


def test_xmlrpc_client_version_login_and_search_read(odoo: OdooMock) -> None:
    common = odoo.common()

    version = common.version()
    uid = common.login(DB, LOGIN, PASSWORD)
    bad = common.login(DB, LOGIN, "wrong")
    rows = odoo.models().execute_kw(
        DB, uid, PASSWORD, "stock.location", "search_read",
        [[("usage", "=", "internal"), ("complete_name", "like", "WH/Stock/%")]],
        {"fields": ["complete_name"], "order": "complete_name desc", "limit": 2,
         "offset": 1})

    assert version["protocol_version"] == 1
    assert isinstance(uid, int) and bad is False
    assert [row["complete_name"] for row in rows] == ["WH/Stock/Raw",
                                                      "WH/Stock/Quality"]


def test_api_key_replaces_the_password(odoo: OdooMock) -> None:
    uid = odoo.common().authenticate(DB, LOGIN, API_KEY, {})

    count = odoo.models().execute_kw(DB, uid, API_KEY, "mrp.production",
                                     "search_count", [[]])

    assert count == 1


def test_wrong_password_is_access_denied_fault_3(odoo: OdooMock) -> None:
    with pytest.raises(xmlrpc.client.Fault) as fault:
        odoo.models().execute_kw(DB, odoo.uid(), "wrong", "res.company", "search",
                                 [[]])

    assert fault.value.faultCode == 3
    assert fault.value.faultString == "Access Denied"


def test_other_company_is_access_error_fault_4(rpc: Rpc) -> None:
    admin_only = rpc.proxy.execute_kw(DB, 2, "admin", "stock.location", "search",
                                      [[("company_id", "=", 1)]], {"limit": 1})

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.location", "read", admin_only, ["name"])

    assert fault.value.faultCode == 4
    assert "not allowed to access" in fault.value.faultString
    assert rpc("stock.location", "search", [("id", "in", admin_only)]) == []


def test_missing_record_is_fault_2(rpc: Rpc) -> None:
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.move", "write", [999], {"origin": "x"})

    assert fault.value.faultCode == 2
    assert fault.value.faultString.startswith("Record does not exist")


def test_duplicate_lot_is_validation_error(client: odoorpc.ODOO) -> None:
    Lot = client.env["stock.lot"]
    product = client.env["product.product"].search([("default_code", "=", "IMP-100")])
    Lot.create({"name": "L-7", "product_id": product[0]})

    with pytest.raises(odoorpc.error.RPCError) as error:
        Lot.create({"name": "L-7", "product_id": product[0]})

    data = error.value.info["data"]
    assert data["name"] == "odoo.exceptions.ValidationError"
    assert "must be unique" in data["message"] and data["arguments"] and data["debug"]


def test_serialization_failure_as_odoo_returns_it(odoo: OdooMock, rpc: Rpc) -> None:
    odoo.http.post("/_mock/faults",
               json={"kind": "serialization_failure", "rate": 1.0}).raise_for_status()

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("quality.check", "create", {"quality_state": "pass"})

    assert fault.value.faultCode == 1
    assert "could not serialize access due to concurrent update" in (
        fault.value.faultString)
    assert rpc("quality.check", "search_count", []) == 0


def test_old_xmlrpc_path_uses_string_fault_codes(odoo: OdooMock) -> None:
    old = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/object")

    with pytest.raises(xmlrpc.client.Fault) as denied:
        old.execute(DB, odoo.uid(), "wrong", "res.company", "search", [])
    with pytest.raises(xmlrpc.client.Fault) as missing:
        old.execute(DB, odoo.uid(), PASSWORD, "stock.move", "read", [999])

    assert denied.value.faultCode == "AccessDenied"
    assert str(missing.value.faultCode).startswith("warning -- MissingError")


def test_private_and_unknown_methods_are_faults(rpc: Rpc) -> None:
    with pytest.raises(xmlrpc.client.Fault) as private:
        rpc("stock.move", "_action_done", [1])
    with pytest.raises(xmlrpc.client.Fault) as unknown:
        rpc("stock.move", "explode", [1])
    with pytest.raises(xmlrpc.client.Fault) as model:
        rpc("no.such.model", "search", [])

    assert private.value.faultCode == 4
    assert unknown.value.faultCode == 1 and "does not exist" in (
        unknown.value.faultString)
    assert model.value.faultCode == 2


def test_jsonrpc_error_shape(odoo: OdooMock) -> None:
    body = {"jsonrpc": "2.0", "method": "call", "id": 7, "params": {
        "service": "object", "method": "execute_kw",
        "args": [DB, odoo.uid(), PASSWORD, "stock.move", "read", [[999]], {}]}}

    reply = odoo.http.post("/jsonrpc", json=body).json()

    assert reply["id"] == 7
    assert reply["error"]["message"] == "Odoo Server Error"
    assert set(reply["error"]["data"]) >= {"name", "message", "arguments", "debug"}
    assert reply["error"]["data"]["name"] == "odoo.exceptions.MissingError"


def test_json2_api_with_bearer_key(odoo: OdooMock) -> None:
    headers = {"Authorization": f"bearer {API_KEY}", "X-Odoo-Database": DB}
    url = "/json/2"

    created = odoo.http.post(f"{url}/quality.check/create", headers=headers,
                         json={"vals_list": [{"quality_state": "none"}]})
    passed = odoo.http.post(f"{url}/quality.check/do_pass", headers=headers,
                        json={"ids": created.json()})
    read = odoo.http.post(f"{url}/quality.check/read", headers=headers,
                      json={"ids": created.json(), "fields": ["quality_state"]})
    denied = odoo.http.post(f"{url}/quality.check/search", json={"domain": []},
                        headers={"Authorization": "bearer nope"})
    missing = odoo.http.post(f"{url}/quality.check/read", headers=headers,
                         json={"ids": [999]})

    assert created.status_code == 200 and passed.json() is True
    assert read.json()[0]["quality_state"] == "pass"
    assert denied.status_code == 401
    assert missing.status_code == 404
    assert missing.json()["name"] == "odoo.exceptions.MissingError"


def test_web_session_authenticate_and_call_kw(odoo: OdooMock) -> None:
    with httpx.Client(base_url=odoo.url) as web:
        login = web.post("/web/session/authenticate", json={
            "jsonrpc": "2.0", "params": {"db": DB, "login": LOGIN,
                                         "password": PASSWORD}})
        call = web.post("/web/dataset/call_kw/res.company/search_read", json={
            "jsonrpc": "2.0", "params": {"model": "res.company",
                                         "method": "search_read", "args": [],
                                         "kwargs": {"fields": ["name"]}}})

    assert login.json()["result"]["uid"] == odoo.uid()
    assert [row["name"] for row in call.json()["result"]] == ["Leipzig Pump Works"]


def test_odoorpc_runs_action_methods(client: odoorpc.ODOO) -> None:
    Picking = client.env["stock.picking"]
    kind = client.env["stock.picking.type"].search([("code", "=", "internal")])
    bolt = client.env["product.product"].search([("default_code", "=", "BOLT-M8")])
    raw, staging = (client.env["stock.location"].search([("name", "=", name)])[0]
                    for name in ("Raw", "Staging"))
    picking = Picking.browse(Picking.create({
        "picking_type_id": kind[0], "location_id": raw, "location_dest_id": staging,
        "move_ids": [(0, 0, {"name": "scan", "product_id": bolt[0],
                             "product_uom_qty": 12})]}))

    picking.action_confirm()
    picking.button_validate()
    done = Picking.browse(picking.id)  # odoorpc caches what it read before

    assert done.state == "done"
    assert [move.quantity for move in done.move_ids] == [12]
    assert client.env["stock.quant"].search_count(
        [("location_id", "=", staging), ("quantity", "=", 12)]) == 1


def test_odoorpc_sees_access_denied_and_missing_records(odoo: OdooMock) -> None:
    session = odoorpc.ODOO("127.0.0.1", port=odoo.port, timeout=10)

    with pytest.raises(odoorpc.error.RPCError) as denied:
        session.login(DB, LOGIN, "wrong")
    session.login(DB, LOGIN, PASSWORD)
    with pytest.raises(odoorpc.error.RPCError) as missing:
        session.env["stock.move"].read([999], ["name"])

    assert "password" in str(denied.value).lower()
    assert missing.value.info["data"]["name"] == "odoo.exceptions.MissingError"
