"""Stock rules: move states, quants, serials, lots, units and concurrency.

The plant (sample master data) holds 500 bolts (PC) in RAW, 20 housings of
lot H-1 and 2 kg of grease in STG.
"""

from __future__ import annotations

import threading
import xmlrpc.client
from typing import Any

import pytest

from tests.mocks.odoo.conftest import LOGIN, PASSWORD, OdooMock, Rpc


class Stock:
    """Look-ups and transfers through the integration user's ``execute_kw``."""

    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    def product(self, code: str) -> int:
        return self.rpc.one("product.product", [("default_code", "=", code)])

    def location(self, name: str) -> int:
        return self.rpc.one("stock.location",
                            [("complete_name", "=", f"WH/Stock/{name}")])

    def uom(self, name: str) -> int:
        return self.rpc.one("uom.uom", [("name", "=", name)])

    def transfer(self, *lines: dict[str, Any], source: str = "Raw",
                 dest: str = "Staging") -> int:
        """A draft internal transfer with one move per line."""
        kind = self.rpc.one("stock.picking.type", [("code", "=", "internal")])
        moves = [[0, 0, {"name": "transfer", "product_uom_qty": 1.0, **line}]
                 for line in lines]
        picking = self.rpc("stock.picking", "create", {
            "picking_type_id": kind, "location_id": self.location(source),
            "location_dest_id": self.location(dest), "move_ids": moves})
        assert isinstance(picking, int)
        return picking

    def moves(self, picking: int) -> list[dict[str, Any]]:
        rows = self.rpc("stock.move", "search_read", [("picking_id", "=", picking)],
                        fields=["state", "quantity", "product_uom_qty", "lot_ids"])
        assert isinstance(rows, list)
        return rows

    def quant(self, code: str, location: str, lot: str | None = None
              ) -> tuple[float, float]:
        """(on hand, reserved) of one product in one location."""
        domain: list[object] = [("product_id.default_code", "=", code),
                                ("location_id.complete_name", "=",
                                 f"WH/Stock/{location}")]
        if lot:
            domain.append(("lot_id.name", "=", lot))
        rows = self.rpc("stock.quant", "search_read", domain,
                        fields=["quantity", "reserved_quantity"])
        assert isinstance(rows, list)
        return (sum(r["quantity"] for r in rows),
                sum(r["reserved_quantity"] for r in rows))

    def receive(self, code: str, location: str, quantity: float,
                lot: str | None = None) -> None:
        """Count stock in with an inventory adjustment."""
        product = self.product(code)
        values: dict[str, Any] = {"product_id": product,
                                  "location_id": self.location(location),
                                  "inventory_quantity": quantity}
        if lot:
            values["lot_id"] = self.rpc("stock.lot", "create",
                                        {"name": lot, "product_id": product})
        quant = self.rpc("stock.quant", "create", values)
        self.rpc("stock.quant", "action_apply_inventory", [quant])


@pytest.fixture
def stock(rpc: Rpc) -> Stock:
    return Stock(rpc)


def test_move_goes_draft_confirmed_assigned_done(rpc: Rpc, stock: Stock) -> None:
    kind = rpc.one("stock.picking.type", [("code", "=", "internal")])
    rpc("stock.picking.type", "write", [kind], {"reservation_method": "manual"})
    picking = stock.transfer({"product_id": stock.product("BOLT-M8"),
                              "product_uom_qty": 10})
    states = [stock.moves(picking)[0]["state"]]

    rpc("stock.picking", "action_confirm", [picking])
    states.append(stock.moves(picking)[0]["state"])
    reserved_after_confirm = stock.quant("BOLT-M8", "Raw")
    rpc("stock.picking", "action_assign", [picking])
    states.append(stock.moves(picking)[0]["state"])
    reserved_after_assign = stock.quant("BOLT-M8", "Raw")
    rpc("stock.picking", "button_validate", [picking])
    states.append(stock.moves(picking)[0]["state"])

    assert states == ["draft", "confirmed", "assigned", "done"]
    assert reserved_after_confirm == (500, 0)
    assert reserved_after_assign == (500, 10)
    assert stock.quant("BOLT-M8", "Raw") == (490, 0)
    assert stock.quant("BOLT-M8", "Staging") == (10, 0)


def test_the_default_operation_type_reserves_at_confirmation(
        rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("HSG-100"),
                              "product_uom_qty": 5}, source="Staging", dest="Raw")

    rpc("stock.picking", "action_confirm", [picking])
    [move] = stock.moves(picking)
    [lot] = rpc("stock.lot", "read", move["lot_ids"], ["name"])

    assert (move["state"], move["quantity"]) == ("assigned", 5)
    assert lot["name"] == "H-1"
    assert stock.quant("HSG-100", "Staging", "H-1") == (20, 5)


def test_a_shortage_is_partially_available_and_asks_for_a_backorder(
        rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("BOLT-M8"),
                              "product_uom_qty": 600})

    rpc("stock.picking", "action_confirm", [picking])
    wizard = rpc("stock.picking", "button_validate", [picking])
    partial = stock.moves(picking)[0]
    rpc("stock.picking", "button_validate", [picking],
        context={"skip_backorder": True})

    assert partial["state"] == "partially_available" and partial["quantity"] == 500
    assert wizard["res_model"] == "stock.backorder.confirmation"
    assert stock.quant("BOLT-M8", "Raw") == (0, 0)
    assert stock.quant("BOLT-M8", "Staging") == (500, 0)


def test_validating_a_draft_transfer_moves_its_demand(rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("BOLT-M8"),
                              "product_uom_qty": 40})

    rpc("stock.picking", "button_validate", [picking])
    [picked] = rpc("stock.picking", "read", [picking], ["state", "date_done"])

    assert picked["state"] == "done" and picked["date_done"]
    assert stock.quant("BOLT-M8", "Raw") == (460, 0)


def test_done_moves_change_quants_all_or_nothing(rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer(
        {"product_id": stock.product("BOLT-M8"), "product_uom_qty": 10},
        {"product_id": stock.product("CAST-100"), "product_uom_qty": 5})
    rpc("stock.picking", "action_confirm", [picking])
    casting = [m for m in stock.moves(picking) if m["state"] == "confirmed"][0]
    rpc("stock.move", "write", [casting["id"]], {"quantity": 5})

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.picking", "button_validate", [picking])

    assert fault.value.faultCode == 2
    assert "You need to supply a Lot/Serial number" in fault.value.faultString
    assert {m["state"] for m in stock.moves(picking)} == {"assigned", "confirmed"}
    assert stock.quant("BOLT-M8", "Raw") == (500, 10)
    assert stock.quant("BOLT-M8", "Staging") == (0, 0)


def test_cancelling_releases_the_reservation(rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("BOLT-M8"),
                              "product_uom_qty": 25})
    rpc("stock.picking", "action_confirm", [picking])

    rpc("stock.picking", "action_cancel", [picking])

    assert [m["state"] for m in stock.moves(picking)] == ["cancel"]
    assert stock.quant("BOLT-M8", "Raw") == (500, 0)


def test_a_done_move_can_be_neither_deleted_nor_cancelled(
        rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("BOLT-M8")})
    rpc("stock.picking", "button_validate", [picking])
    [move] = stock.moves(picking)

    with pytest.raises(xmlrpc.client.Fault) as unlink:
        rpc("stock.move", "unlink", [move["id"]])
    with pytest.raises(xmlrpc.client.Fault) as cancel:
        rpc("stock.move", "action_cancel", [move["id"]])

    assert unlink.value.faultCode == cancel.value.faultCode == 2
    assert stock.moves(picking)[0]["state"] == "done"


# Serials and lots ------------------------------------------------------------


@pytest.fixture
def motor(rpc: Rpc, stock: Stock) -> int:
    """A serial-tracked motor with serial S-1 in RAW."""
    product = rpc("product.product", "create", {
        "name": "Motor with serial", "default_code": "MOT-S", "tracking": "serial",
        "uom_id": stock.uom("Units")})
    assert isinstance(product, int)
    stock.receive("MOT-S", "Raw", 1, lot="S-1")
    return product


def test_a_serial_is_never_reserved_twice(rpc: Rpc, stock: Stock, motor: int) -> None:
    first = stock.transfer({"product_id": motor})
    second = stock.transfer({"product_id": motor})

    rpc("stock.picking", "action_assign", [first])
    rpc("stock.picking", "action_assign", [second])

    assert [(m["state"], m["quantity"]) for m in stock.moves(first)] == [
        ("assigned", 1)]
    assert [(m["state"], m["quantity"]) for m in stock.moves(second)] == [
        ("confirmed", 0)]
    assert stock.quant("MOT-S", "Raw", "S-1") == (1, 1)


def test_a_serial_is_never_in_stock_twice(rpc: Rpc, stock: Stock, motor: int) -> None:
    lot = rpc.one("stock.lot", [("name", "=", "S-1")])
    quant = rpc("stock.quant", "create", {
        "product_id": motor, "location_id": stock.location("Quality"),
        "lot_id": lot, "inventory_quantity": 1})

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.quant", "action_apply_inventory", [quant])

    assert fault.value.faultCode == 2
    assert "serial number has already been assigned" in fault.value.faultString
    assert stock.quant("MOT-S", "Quality") == (0, 0)


def test_lot_names_are_unique_per_product_and_company(
        rpc: Rpc, admin: Rpc, stock: Stock) -> None:
    impeller, shaft = stock.product("IMP-100"), stock.product("SHAFT-20")
    rpc("stock.lot", "create", {"name": "L-9", "product_id": impeller})

    rpc("stock.lot", "create", {"name": "L-9", "product_id": shaft})
    admin("stock.lot", "create", {"name": "L-9", "product_id": impeller,
                                  "company_id": 1})
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.lot", "create", {"name": "L-9", "product_id": impeller})

    assert fault.value.faultCode == 2
    assert "must be unique across a company" in fault.value.faultString
    assert admin("stock.lot", "search_count", [("name", "=", "L-9")]) == 3


# Units of measure ----------------------------------------------------------------


def test_conversion_rounds_half_up_to_the_product_unit(
        rpc: Rpc, stock: Stock) -> None:
    weight = rpc("uom.uom", "read", [stock.uom("kg")], ["category_id"])[0]
    decigram = rpc("uom.uom", "create", {
        "name": "dg", "category_id": weight["category_id"][0], "factor": 10000.0,
        "rounding": 1.0, "uom_type": "smaller"})
    picking = stock.transfer({"product_id": stock.product("GREASE"),
                              "product_uom": decigram, "product_uom_qty": 5},
                             source="Staging", dest="Raw")

    rpc("stock.picking", "action_confirm", [picking])
    reserved = stock.quant("GREASE", "Staging")
    rpc("stock.picking", "button_validate", [picking])

    assert reserved == (2, 0.001)
    assert stock.quant("GREASE", "Staging") == (1.999, 0)
    assert stock.quant("GREASE", "Raw") == (0.001, 0)


def test_boxes_become_pieces(rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("BOLT-M8"),
                              "product_uom": stock.uom("Box"), "product_uom_qty": 2})

    rpc("stock.picking", "button_validate", [picking])

    assert stock.quant("BOLT-M8", "Raw") == (300, 0)
    assert stock.quant("BOLT-M8", "Staging") == (200, 0)


def test_a_demand_finer_than_its_unit_reserves_the_rounded_quantity(
        rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("BOLT-M8"),
                              "product_uom_qty": 2.5})

    rpc("stock.picking", "action_confirm", [picking])

    assert stock.moves(picking)[0]["quantity"] == 3
    assert stock.quant("BOLT-M8", "Raw") == (500, 3)


def test_a_done_quantity_finer_than_its_unit_is_refused(
        rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("BOLT-M8"),
                              "product_uom_qty": 2.5}, source="Quality")

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.picking", "button_validate", [picking])

    assert fault.value.faultCode == 2
    assert "doesn't respect the rounding precision" in fault.value.faultString
    assert stock.moves(picking)[0]["state"] == "draft"
    assert stock.quant("BOLT-M8", "Staging") == (0, 0)


def test_a_unit_of_another_category_is_refused(rpc: Rpc, stock: Stock) -> None:
    picking = stock.transfer({"product_id": stock.product("GREASE"),
                              "product_uom": stock.uom("Units"),
                              "product_uom_qty": 1}, source="Staging", dest="Raw")

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("stock.picking", "action_confirm", [picking])

    assert fault.value.faultCode == 2
    assert "doesn't belong to the same category" in fault.value.faultString
    assert stock.moves(picking)[0]["state"] == "draft"


# Concurrency -----------------------------------------------------------------


def _in_threads(count: int, work: Any) -> list[Any]:
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait(timeout=10)
        try:
            results[index] = work(index)
        except Exception as exc:  # the outcome under test, kept for the assert
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_transfers_lose_no_update(odoo: OdooMock, stock: Stock) -> None:
    bolt = stock.product("BOLT-M8")

    def move_three(index: int) -> object:
        own = Rpc(odoo, LOGIN, PASSWORD)
        picking = Stock(own).transfer({"product_id": bolt, "product_uom_qty": 3,
                                       "name": f"run {index}"})
        return own("stock.picking", "button_validate", [picking])

    results = _in_threads(16, move_three)

    assert results == [True] * 16
    assert stock.quant("BOLT-M8", "Raw") == (500 - 48, 0)
    assert stock.quant("BOLT-M8", "Staging") == (48, 0)


def test_concurrent_creates_of_one_lot_make_one(odoo: OdooMock, stock: Stock) -> None:
    impeller = stock.product("IMP-100")

    def create(index: int) -> object:
        return Rpc(odoo)("stock.lot", "create",
                         {"name": "RACE", "product_id": impeller})

    results = _in_threads(8, create)

    assert sum(isinstance(r, int) for r in results) == 1
    assert all(isinstance(r, xmlrpc.client.Fault) and r.faultCode == 2
               for r in results if not isinstance(r, int))
    assert stock.rpc("stock.lot", "search_count", [("name", "=", "RACE")]) == 1
