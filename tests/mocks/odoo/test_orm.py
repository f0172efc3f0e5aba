"""The ORM methods over XML-RPC: domains, paging, context, access rules."""

from __future__ import annotations

import xmlrpc.client
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.mocks.odoo.conftest import DB, Rpc


@pytest.fixture
def moves(rpc: Rpc) -> dict[str, int]:
    """Four draft moves of bolts, RAW → STG, named and sized apart."""
    bolt = rpc.one("product.product", [("default_code", "=", "BOLT-M8")])
    raw = rpc.one("stock.location", [("complete_name", "=", "WH/Stock/Raw")])
    staging = rpc.one("stock.location", [("complete_name", "=", "WH/Stock/Staging")])
    created = rpc("stock.move", "create", [
        {"name": name, "product_id": bolt, "product_uom_qty": qty,
         "location_id": raw, "location_dest_id": staging, "origin": origin}
        for name, qty, origin in (("Alpha", 1.0, "A-1"), ("alpha two", 2.0, False),
                                  ("Beta", 3.0, "B_1"), ("gamma", 4.0, "A-2"))])
    assert isinstance(created, list)
    return dict(zip(("Alpha", "alpha two", "Beta", "gamma"), created, strict=True))


def names(rpc: Rpc, domain: list[object]) -> list[str]:
    rows = rpc("stock.move", "search_read",
               [*domain, ("location_id.name", "=", "Raw")], fields=["name"],
               order="name")
    assert isinstance(rows, list)
    return [row["name"] for row in rows]


@pytest.mark.parametrize(("domain", "expected"), [
    ([("name", "=", "Beta")], ["Beta"]),
    ([("name", "!=", "Beta")], ["Alpha", "alpha two", "gamma"]),
    ([("product_uom_qty", "<", 2)], ["Alpha"]),
    ([("product_uom_qty", ">", 3)], ["gamma"]),
    ([("product_uom_qty", "<=", 2)], ["Alpha", "alpha two"]),
    ([("product_uom_qty", ">=", 3)], ["Beta", "gamma"]),
    ([("name", "in", ["Beta", "gamma", "nobody"])], ["Beta", "gamma"]),
    ([("name", "not in", ["Beta", "gamma"])], ["Alpha", "alpha two"]),
    ([("name", "like", "lpha")], ["Alpha", "alpha two"]),
    ([("name", "like", "alpha")], ["alpha two"]),
    ([("name", "ilike", "ALPHA")], ["Alpha", "alpha two"]),
    ([("origin", "like", "B_1")], ["Beta"]),
    ([("origin", "=", False)], ["alpha two"]),
    (["|", ("name", "=", "Beta"), ("product_uom_qty", "=", 4)], ["Beta", "gamma"]),
    (["!", ("name", "ilike", "a")], []),
    (["!", ("origin", "ilike", "a-")], ["Beta", "alpha two"]),
    (["&", ("origin", "ilike", "a-"), "|", ("product_uom_qty", ">", 3),
      ("name", "=", "Alpha")], ["Alpha", "gamma"]),
    ([("product_id.default_code", "=", "BOLT-M8"), ("product_uom_qty", "<", 3)],
     ["Alpha", "alpha two"]),
])
def test_domains(rpc: Rpc, moves: dict[str, int], domain: list[object],
                 expected: list[str]) -> None:
    assert names(rpc, domain) == expected


def test_an_operator_odoo_lacks_is_a_fault(rpc: Rpc, moves: dict[str, int]) -> None:
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.move", "search", [("name", "~", "x")])

    assert fault.value.faultCode == 1 and "Invalid operator" in (
        fault.value.faultString)


def test_order_limit_offset(rpc: Rpc, moves: dict[str, int]) -> None:
    ids = rpc("stock.move", "search", [("id", "in", list(moves.values()))],
              order="product_uom_qty desc", limit=2, offset=1)

    assert ids == [moves["Beta"], moves["alpha two"]]
    assert rpc("stock.move", "search_count",
               [("id", "in", list(moves.values()))], limit=3) == 3


def test_create_one_or_many_write_unlink(rpc: Rpc) -> None:
    product = rpc.one("product.product", [("default_code", "=", "IMP-100")])

    one = rpc("stock.lot", "create", {"name": "C-1", "product_id": product})
    many = rpc("stock.lot", "create", [{"name": "C-2", "product_id": product},
                                       {"name": "C-3", "product_id": product}])
    rpc("stock.lot", "write", [one], {"ref": "first"})
    rpc("stock.lot", "unlink", many)
    rows = rpc("stock.lot", "search_read", [("name", "like", "C-")],
               fields=["name", "ref"])

    assert isinstance(one, int) and isinstance(many, list) and len(many) == 2
    assert rows == [{"id": one, "name": "C-1", "ref": "first"}]


def test_read_many2one_as_pair_or_id(rpc: Rpc) -> None:
    location = rpc.one("stock.location", [("complete_name", "=", "WH/Stock/Raw")])

    classic = rpc("stock.location", "read", [location], ["location_id"])
    plain = rpc("stock.location", "read", [location], ["location_id"], load=False)

    assert classic[0]["location_id"][1] == "WH/Stock"
    assert plain[0]["location_id"] == classic[0]["location_id"][0]


def test_fields_get_and_name_search(rpc: Rpc) -> None:
    fields = rpc("stock.move", "fields_get", ["state", "product_id", "quantity"],
                 attributes=["type", "relation", "selection", "digits"])
    found = rpc("product.product", "name_search", "pump", limit=5)
    centrifugal = rpc("product.product", "name_search", "CENTRIFUGAL")

    assert fields["product_id"] == {"type": "many2one",
                                    "relation": "product.product"}
    assert ["done", "Done"] in fields["state"]["selection"]
    assert fields["quantity"]["digits"] == [16, 3]
    assert [label for _, label in found] == ["[HSG-100] Pump housing machined",
                                            "[PUMP-100] Centrifugal pump CP-100"]
    assert [label for _, label in centrifugal] == ["[PUMP-100] Centrifugal pump CP-100"]


def test_read_group_sums_per_product(rpc: Rpc, moves: dict[str, int]) -> None:
    groups = rpc("stock.move", "read_group", [("id", "in", list(moves.values()))],
                 ["product_uom_qty:sum"], ["product_id"])

    assert len(groups) == 1
    assert groups[0]["product_id"][1] == "[BOLT-M8] Hex bolt M8x25 8.8"
    assert groups[0]["product_uom_qty"] == 10.0
    assert groups[0]["product_id_count"] == 4


@pytest.mark.parametrize(("tz", "label"), [
    ("UTC", "03 Dec 2026"), ("Europe/Berlin", "04 Dec 2026")])
def test_read_group_buckets_dates_in_the_context_timezone(
        rpc: Rpc, tz: str, label: str) -> None:
    rpc("maintenance.request", "create",
        {"name": "night job", "schedule_date": "2026-12-03 23:30:00"})

    groups = rpc("maintenance.request", "read_group", [], ["name"],
                 ["schedule_date:day"], context={"tz": tz})

    assert [group["schedule_date:day"] for group in groups] == [label]
    assert groups[0]["schedule_date_count"] == 1


def test_dates_default_to_today_in_the_context_timezone(rpc: Rpc) -> None:
    zones = ("Pacific/Kiritimati", "Pacific/Pago_Pago")  # 25 hours apart
    before = {tz: datetime.now(ZoneInfo(tz)).date().isoformat() for tz in zones}

    dates = {}
    for tz in zones:
        created = rpc("maintenance.request", "create", {"name": "leak"},
                      context={"tz": tz})
        dates[tz] = rpc("maintenance.request", "read", [created],
                        ["request_date"])[0]["request_date"]
    after = {tz: datetime.now(ZoneInfo(tz)).date().isoformat() for tz in zones}

    assert dates[zones[0]] != dates[zones[1]]
    for tz in zones:
        assert dates[tz] in {before[tz], after[tz]}


def test_translated_names_follow_the_context_language(rpc: Rpc) -> None:
    pump = rpc.one("product.product", [("default_code", "=", "PUMP-100")])

    rpc("product.product", "write", [pump], {"name": "Kreiselpumpe"},
        context={"lang": "de_DE"})
    english = rpc("product.product", "read", [pump], ["name"])
    german = rpc("product.product", "read", [pump], ["name"],
                 context={"lang": "de_DE"})
    found = rpc("product.product", "search", [("name", "=", "Kreiselpumpe")],
                context={"lang": "de_DE"})

    assert english[0]["name"] == "Centrifugal pump CP-100"
    assert german[0]["name"] == "Kreiselpumpe"
    assert found == [pump]
    assert rpc("product.product", "search", [("name", "=", "Kreiselpumpe")]) == []


# Companies -------------------------------------------------------------------


def test_records_of_other_companies_are_hidden_and_refused(
        rpc: Rpc, admin: Rpc) -> None:
    main_stock = admin.one("stock.location", [("complete_name", "=", "WH/Stock"),
                                              ("company_id", "=", 1)])

    with pytest.raises(xmlrpc.client.Fault) as read:
        rpc("stock.location", "read", [main_stock], ["name"])
    with pytest.raises(xmlrpc.client.Fault) as write:
        rpc("stock.location", "write", [main_stock], {"name": "Mine"})
    with pytest.raises(xmlrpc.client.Fault) as unlink:
        rpc("stock.location", "unlink", [main_stock])
    with pytest.raises(xmlrpc.client.Fault) as create:
        rpc("stock.location", "create", {"name": "X", "company_id": 1})

    assert {read.value.faultCode, write.value.faultCode, unlink.value.faultCode,
            create.value.faultCode} == {4}
    assert "not allowed to access" in read.value.faultString
    assert "not allowed to modify" in write.value.faultString
    assert "not allowed to delete" in unlink.value.faultString
    assert "not allowed to create" in create.value.faultString
    assert rpc("stock.location", "search", [("id", "=", main_stock)]) == []
    assert admin("stock.location", "read", [main_stock], ["name"])[0]["name"] == (
        "Stock")


def test_allowed_companies_narrow_what_a_user_sees(admin: Rpc, rpc: Rpc) -> None:
    everywhere = admin("stock.location", "search_count", [("name", "=", "Stock")])
    main_only = admin("stock.location", "search_count", [("name", "=", "Stock")],
                      context={"allowed_company_ids": [1]})

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.location", "search", [], context={"allowed_company_ids": [1]})

    assert (everywhere, main_only) == (2, 1)
    assert fault.value.faultCode == 4
    assert "unauthorized or invalid companies" in fault.value.faultString


def test_records_point_into_their_own_company(admin: Rpc) -> None:
    plant = admin.one("res.company", [("name", "=", "Leipzig Pump Works")])
    bolt = admin.one("product.product", [("default_code", "=", "BOLT-M8")])
    main_stock = admin.one("stock.location", [("complete_name", "=", "WH/Stock"),
                                              ("company_id", "=", 1)])
    raw = admin.one("stock.location", [("complete_name", "=", "WH/Stock/Raw")])

    with pytest.raises(xmlrpc.client.Fault) as fault:
        admin("stock.move", "create", {
            "name": "cross", "product_id": bolt, "location_id": raw,
            "location_dest_id": main_stock, "company_id": plant})

    assert fault.value.faultCode == 2
    assert fault.value.faultString.startswith("Incompatible companies on records")
    assert admin("stock.move", "search_count", [("name", "=", "cross")]) == 0


@pytest.mark.parametrize(("values", "code", "text"), [
    ({"name": "x", "product_id": 9999}, 2, "Constraint: stock_lot_product_id_fkey"),
    ({"product_id": 1}, 2, "Field: Lot/Serial Number (name)"),
    ({"name": "x", "product_id": 1, "nope": 1}, 1, "Invalid field 'nope'"),
    ({"name": 7, "product_id": 1}, 1, "Wrong value for stock.lot.name"),
])
def test_bad_values_are_odoo_faults(rpc: Rpc, values: dict[str, object], code: int,
                                    text: str) -> None:
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.lot", "create", values)

    assert fault.value.faultCode == code
    assert text in fault.value.faultString


def test_quantities_are_stored_with_the_unit_precision(rpc: Rpc,
                                                       moves: dict[str, int]) -> None:
    rpc("stock.move", "write", [moves["Alpha"]], {"product_uom_qty": 1.23456})

    [row] = rpc("stock.move", "read", [moves["Alpha"]], ["product_uom_qty"])

    assert row["product_uom_qty"] == 1.235


def test_datetimes_from_xmlrpc_clients_are_accepted(rpc: Rpc) -> None:
    when = datetime(2026, 12, 3, 6, 14, 5)

    created = rpc.proxy.execute_kw(DB, rpc.uid, rpc.password, "maintenance.request",
                                   "create", [{"name": "x", "schedule_date": when}])
    [row] = rpc("maintenance.request", "read", [created], ["schedule_date"])

    assert row["schedule_date"] == "2026-12-03 06:14:05"
