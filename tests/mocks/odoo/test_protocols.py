"""Every endpoint of Odoo's external API, with the clients integrations use."""

from __future__ import annotations

import xmlrpc.client

import pytest

from tests.mocks.odoo.conftest import (
    API_KEY,
    DB,
    LOGIN,
    PASSWORD,
    Json2,
    OdooMock,
    Rpc,
    jsonrpc,
)


def test_common_service_answers_version_about_login_authenticate(
        odoo: OdooMock) -> None:
    common = odoo.common()

    version = common.version()
    about, extended = common.about(), common.about(True)
    uid = common.login(DB, LOGIN, PASSWORD)
    by_key = common.authenticate(DB, LOGIN, API_KEY, {"interactive": False})
    wrong_db = common.login("other", LOGIN, PASSWORD)

    assert version["server_version_info"][:2] == [19, 0]
    assert version["server_serie"] == "19.0" and version["protocol_version"] == 1
    assert isinstance(about, str) and extended == [about, "19.0"]
    assert isinstance(uid, int) and by_key == uid
    assert wrong_db is False


def test_execute_takes_positional_arguments(odoo: OdooMock) -> None:
    rows = odoo.models().execute(
        DB, odoo.uid(), PASSWORD, "stock.location", "search_read",
        [("complete_name", "=", "WH/Stock/Raw")], ["usage", "company_id"])

    assert [row["usage"] for row in rows] == ["internal"]
    assert rows[0]["company_id"][1] == "Leipzig Pump Works"


def test_wrong_arity_of_a_service_method_is_fault_1(odoo: OdooMock) -> None:
    with pytest.raises(xmlrpc.client.Fault) as login:
        odoo.common().login(DB, LOGIN)
    with pytest.raises(xmlrpc.client.Fault) as execute_kw:
        odoo.models().execute_kw(DB, odoo.uid(), PASSWORD, "stock.move")

    assert login.value.faultCode == 1 and "positional arguments" in (
        login.value.faultString)
    assert execute_kw.value.faultCode == 1


def test_old_xmlrpc_paths_log_in_and_call(odoo: OdooMock) -> None:
    common = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/common")
    models = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/object")

    uid = common.login(DB, LOGIN, PASSWORD)
    count = models.execute_kw(DB, uid, PASSWORD, "mrp.production", "search_count",
                              [[("state", "=", "confirmed")]])
    with pytest.raises(xmlrpc.client.Fault) as invalid:
        models.execute_kw(DB, uid, PASSWORD, "stock.lot", "create",
                          [{"name": "no product"}])
    with pytest.raises(xmlrpc.client.Fault) as forbidden:
        models.execute_kw(DB, uid, PASSWORD, "res.company", "read", [[1]])

    assert count == 1
    assert str(invalid.value.faultCode).startswith("warning -- UserError\n\n")
    assert "mandatory field is not set" in str(invalid.value.faultCode)
    assert str(forbidden.value.faultCode).startswith("warning -- AccessError")


def test_jsonrpc_serves_common_db_and_object(odoo: OdooMock) -> None:
    version = jsonrpc(odoo, "common", "version")
    databases = jsonrpc(odoo, "db", "list")
    exists = jsonrpc(odoo, "db", "db_exist", DB)
    uid = jsonrpc(odoo, "common", "login", DB, LOGIN, PASSWORD)["result"]
    created = jsonrpc(odoo, "object", "execute_kw", DB, uid, PASSWORD,
                      "quality.check", "create", [[{"quality_state": "pass"},
                                                   {"quality_state": "fail"}]])
    states = jsonrpc(odoo, "object", "execute_kw", DB, uid, PASSWORD,
                     "quality.check", "read", [created["result"], ["quality_state"]])

    assert version["result"]["server_version"] == "19.0"
    assert databases["result"] == [DB] and exists["result"] is True
    assert [row["quality_state"] for row in states["result"]] == ["pass", "fail"]


def test_jsonrpc_error_of_an_unknown_service_method(odoo: OdooMock) -> None:
    reply = jsonrpc(odoo, "object", "exec_workflow", DB, 3, PASSWORD)

    assert reply["error"]["code"] == 0
    assert reply["error"]["message"] == "Odoo Server Error"
    assert reply["error"]["data"]["name"] == "builtins.NameError"
    assert reply["error"]["data"]["arguments"] == [reply["error"]["data"]["message"]]


def test_db_service_refuses_to_manage_databases(odoo: OdooMock) -> None:
    reply = jsonrpc(odoo, "db", "drop", "admin", DB)

    assert reply["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert jsonrpc(odoo, "db", "list")["result"] == [DB]


def test_web_version_routes(odoo: OdooMock) -> None:
    info = odoo.http.post("/web/webclient/version_info",
                      json={"jsonrpc": "2.0", "params": {}}).json()
    plain = odoo.http.get("/web/version").json()
    databases = odoo.http.post("/web/database/list",
                           json={"jsonrpc": "2.0", "params": {}}).json()

    assert info["result"]["server_version"] == "19.0"
    assert plain == {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}
    assert databases["result"] == [DB]


def test_web_session_expires_without_a_cookie(odoo: OdooMock) -> None:
    reply = odoo.http.post("/web/dataset/call_kw", json={
        "jsonrpc": "2.0", "params": {"model": "res.company", "method": "search",
                                     "args": [[]], "kwargs": {}}}).json()

    assert reply["error"]["code"] == 100
    assert reply["error"]["data"]["name"] == "odoo.http.SessionExpiredException"


# JSON-2 (Odoo 19) ------------------------------------------------------------


def test_json2_search_read_with_domain_and_context(json2: Json2) -> None:
    answer = json2("stock.location", "search_read",
                   domain=[["usage", "=", "internal"], ["name", "ilike", "st"]],
                   fields=["complete_name"], order="complete_name",
                   context={"lang": "en_US"})

    assert answer.status_code == 200
    assert [row["complete_name"] for row in answer.json()] == [
        "WH/Stock", "WH/Stock/Staging"]


def test_json2_record_methods_take_ids(json2: Json2) -> None:
    created = json2("quality.check", "create",
                    vals_list=[{"quality_state": "none"}, {"quality_state": "none"}])
    written = json2("quality.check", "write", ids=created.json()[:1],
                    vals={"note": "visual"})
    failed = json2("quality.check", "do_fail", ids=created.json()[1:])
    rows = json2("quality.check", "read", ids=created.json(),
                 fields=["note", "quality_state"])

    assert created.status_code == 200 and len(created.json()) == 2
    assert written.json() is True and failed.json() is True
    assert [(row["note"], row["quality_state"]) for row in rows.json()] == [
        ("visual", "none"), (False, "fail")]


def test_json2_context_get_names_the_key_owner(json2: Json2,
                                                 odoo: OdooMock) -> None:
    answer = json2("res.users", "context_get")

    assert answer.json()["uid"] == odoo.uid()


def test_json2_bad_key_is_401_as_odoo_words_it(odoo: OdooMock) -> None:
    answer = Json2(odoo, "not-a-key")("res.company", "search", domain=[])

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].lower().startswith("bearer")
    assert answer.json()["name"] == "werkzeug.exceptions.Unauthorized"
    assert answer.json()["arguments"] == ["Invalid apikey", 401]


@pytest.mark.parametrize(("model", "method", "body", "status", "name"), [
    ("no.model", "search", {"domain": []}, 404, "werkzeug.exceptions.NotFound"),
    ("stock.move", "explode", {}, 404, "werkzeug.exceptions.NotFound"),
    ("stock.move", "_action_done", {"ids": [1]}, 403,
     "odoo.exceptions.AccessError"),
    ("stock.move", "search", {"domain": [], "bogus": 1}, 422,
     "werkzeug.exceptions.UnprocessableEntity"),
    ("stock.move", "search", {"ids": [1], "domain": []}, 422,
     "werkzeug.exceptions.UnprocessableEntity"),
    ("stock.move", "write", {"ids": [999], "vals": {"origin": "x"}}, 404,
     "odoo.exceptions.MissingError"),
    ("res.company", "read", {"ids": [1], "fields": ["name"]}, 403,
     "odoo.exceptions.AccessError"),
    ("stock.lot", "create", {"vals_list": [{"name": "x"}]}, 422,
     "odoo.exceptions.ValidationError"),
])
def test_json2_errors_carry_odoo_status_and_name(
        json2: Json2, model: str, method: str, body: dict[str, object], status: int,
        name: str) -> None:
    answer = json2(model, method, **body)

    assert answer.status_code == status
    assert answer.json()["name"] == name
    assert set(answer.json()) == {"name", "message", "arguments", "context", "debug"}


def test_json2_wrong_database_and_bad_json(odoo: OdooMock) -> None:
    headers = {"Authorization": f"bearer {API_KEY}"}
    other = odoo.http.post("/json/2/res.company/search", json={},
                       headers={**headers, "X-Odoo-Database": "other"})
    broken = odoo.http.post("/json/2/res.company/search", content=b"{oops",
                        headers={**headers, "Content-Type": "application/json"})
    elsewhere = odoo.http.get("/json/2/res.company", headers=headers)

    assert other.status_code == 404
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("could not parse the body as json")
    assert elsewhere.status_code == 404


def test_json2_each_call_is_its_own_transaction(json2: Json2, rpc: Rpc) -> None:
    product = rpc.one("product.product", [("default_code", "=", "IMP-100")])

    answer = json2("stock.lot", "create", vals_list=[
        {"name": "J-1", "product_id": product}, {"name": "J-1", "product_id": product}])

    assert answer.status_code == 422
    assert rpc("stock.lot", "search_count", [("name", "=", "J-1")]) == 0
