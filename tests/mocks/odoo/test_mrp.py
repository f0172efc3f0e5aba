"""Manufacturing, work orders, downtime, quality checks and maintenance.

The seeded order 1000001 makes 10 pumps (PUMP-100, lot-tracked) into QI from
10 housings (lot H-1 in STG) and 0.5 kg of grease, with one work order 0010
at the final assembly work center.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import pytest

from tests.mocks.odoo.conftest import Rpc
from tests.mocks.odoo.test_stock import Stock


@pytest.fixture
def order(rpc: Rpc) -> int:
    return rpc.one("mrp.production", [("name", "=", "1000001")])


@pytest.fixture
def stock(rpc: Rpc) -> Stock:
    return Stock(rpc)


def pump_lot(rpc: Rpc, name: str = "P-1") -> int:
    pump = rpc.one("product.product", [("default_code", "=", "PUMP-100")])
    lot = rpc("stock.lot", "create", {"name": name, "product_id": pump})
    assert isinstance(lot, int)
    return lot


def read(rpc: Rpc, model: str, ids: list[int], *fields: str) -> list[dict[str, Any]]:
    rows = rpc(model, "read", ids, list(fields))
    assert isinstance(rows, list)
    return rows


def test_mark_done_consumes_components_and_receives_the_lot(
        rpc: Rpc, stock: Stock, order: int) -> None:
    rpc("mrp.production", "write", [order],
        {"qty_producing": 10, "lot_producing_id": pump_lot(rpc)})
    rpc("mrp.production", "action_assign", [order])

    done = rpc("mrp.production", "button_mark_done", [order])
    [mo] = read(rpc, "mrp.production", [order], "state", "qty_produced",
                "move_raw_ids", "move_finished_ids", "workorder_ids")
    raws = read(rpc, "stock.move", mo["move_raw_ids"], "state", "quantity")
    [finished] = read(rpc, "stock.move", mo["move_finished_ids"], "state",
                      "lot_ids")

    assert done is True
    assert (mo["state"], mo["qty_produced"]) == ("done", 10)
    assert sorted((m["state"], m["quantity"]) for m in raws) == [
        ("done", 0.5), ("done", 10)]
    assert finished["state"] == "done"
    assert read(rpc, "stock.lot", finished["lot_ids"], "name")[0]["name"] == "P-1"
    assert stock.quant("HSG-100", "Staging", "H-1") == (10, 0)
    assert stock.quant("GREASE", "Staging") == (1.5, 0)
    assert stock.quant("PUMP-100", "Quality", "P-1") == (10, 0)
    assert read(rpc, "mrp.workorder", mo["workorder_ids"], "state")[0]["state"] == (
        "done")


def test_mark_done_without_the_finished_lot_changes_nothing(
        rpc: Rpc, stock: Stock, order: int) -> None:
    rpc("mrp.production", "action_assign", [order])

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("mrp.production", "button_mark_done", [order])

    assert fault.value.faultCode == 2
    assert "Lot/Serial number" in fault.value.faultString
    assert read(rpc, "mrp.production", [order], "state")[0]["state"] == "confirmed"
    assert stock.quant("HSG-100", "Staging", "H-1") == (20, 10)


def test_mark_done_with_unreserved_tracked_components_is_refused(
        rpc: Rpc, stock: Stock, order: int) -> None:
    rpc("mrp.production", "write", [order], {"lot_producing_id": pump_lot(rpc)})

    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc("mrp.production", "button_mark_done", [order])

    assert "You need to supply a Lot/Serial number" in fault.value.faultString
    assert stock.quant("HSG-100", "Staging", "H-1") == (20, 0)
    assert stock.quant("PUMP-100", "Quality") == (0, 0)


def test_producing_less_asks_for_a_backorder(rpc: Rpc, stock: Stock,
                                            order: int) -> None:
    rpc("mrp.production", "write", [order],
        {"qty_producing": 4, "lot_producing_id": pump_lot(rpc)})
    rpc("mrp.production", "action_assign", [order])

    wizard = rpc("mrp.production", "button_mark_done", [order])
    rpc("mrp.production", "button_mark_done", [order],
        context={"skip_backorder": True})

    assert wizard["res_model"] == "mrp.production.backorder"
    assert read(rpc, "mrp.production", [order], "state", "qty_produced")[0][
        "qty_produced"] == 4
    assert stock.quant("PUMP-100", "Quality", "P-1") == (4, 0)


def test_a_new_order_is_confirmed_with_its_finished_move(rpc: Rpc,
                                                         stock: Stock) -> None:
    created = rpc("mrp.production", "create", {
        "product_id": stock.product("ROT-100"), "product_qty": 3,
        "location_dest_id": stock.location("Finished")})

    rpc("mrp.production", "action_confirm", [created])
    [mo] = read(rpc, "mrp.production", [created], "name", "state",
                "move_finished_ids", "product_uom_id")
    [finished] = read(rpc, "stock.move", mo["move_finished_ids"], "state")
    rpc("mrp.production", "action_cancel", [created])

    assert mo["name"].startswith("WH/MO/") and mo["state"] == "confirmed"
    assert mo["product_uom_id"][1] == "Units"
    assert finished["state"] == "confirmed"
    assert read(rpc, "mrp.production", [created], "state")[0]["state"] == "cancel"


# Work orders -----------------------------------------------------------------


def test_work_order_start_and_finish(rpc: Rpc, order: int) -> None:
    workorder = rpc.one("mrp.workorder", [("production_id", "=", order)])

    rpc("mrp.workorder", "button_start", [workorder])
    started = read(rpc, "mrp.workorder", [workorder], "state", "date_start")[0]
    running = read(rpc, "mrp.production", [order], "state")[0]["state"]
    [log] = rpc("mrp.workcenter.productivity", "search_read",
                [("workorder_id", "=", workorder)], fields=["loss_type", "date_end"])
    rpc("mrp.workorder", "button_finish", [workorder])
    finished = read(rpc, "mrp.workorder", [workorder], "state", "qty_produced",
                    "date_finished")[0]

    assert started["state"] == "progress" and started["date_start"]
    assert running == "progress"
    assert (log["loss_type"], log["date_end"]) == ("productive", False)
    assert (finished["state"], finished["qty_produced"]) == ("done", 10)
    assert finished["date_finished"]
    assert read(rpc, "mrp.production", [order], "state")[0]["state"] == "to_close"
    assert rpc("mrp.workcenter.productivity", "search_count",
               [("workorder_id", "=", workorder), ("date_end", "=", False)]) == 0


def test_work_order_records_production_until_done(rpc: Rpc, order: int) -> None:
    workorder = rpc.one("mrp.workorder", [("production_id", "=", order)])

    rpc("mrp.workorder", "write", [workorder], {"qty_producing": 4})
    rpc("mrp.workorder", "record_production", [workorder])
    partly = read(rpc, "mrp.workorder", [workorder], "state", "qty_produced")[0]
    rpc("mrp.workorder", "write", [workorder], {"qty_producing": 6})
    rpc("mrp.workorder", "record_production", [workorder])

    assert (partly["state"], partly["qty_produced"]) == ("ready", 4)
    assert read(rpc, "mrp.workorder", [workorder], "state")[0]["state"] == "done"
    with pytest.raises(xmlrpc.client.Fault):
        rpc("mrp.workorder", "button_start", [workorder])


@pytest.mark.parametrize(("loss", "working_state"), [
    ("Equipment Failure", "blocked"), ("Reduced Speed", "blocked"),
    ("Process Defect", "blocked"), ("Productive", "done")])
def test_productivity_takes_the_loss_type_of_its_reason(
        rpc: Rpc, loss: str, working_state: str) -> None:
    center = rpc.one("mrp.workcenter", [("code", "=", "MACH")])
    reason = rpc("mrp.workcenter.productivity.loss", "search_read",
                 [("name", "=", loss)], fields=["loss_type"])[0]

    created = rpc("mrp.workcenter.productivity", "create", {
        "workcenter_id": center, "loss_id": reason["id"],
        "date_start": "2026-12-03 06:00:00"})

    assert read(rpc, "mrp.workcenter.productivity", [created], "loss_type")[0][
        "loss_type"] == reason["loss_type"]
    assert read(rpc, "mrp.workcenter", [center], "working_state")[0][
        "working_state"] == working_state


def test_loss_types_are_odoo_four(rpc: Rpc) -> None:
    fields = rpc("mrp.workcenter.productivity.loss", "fields_get", ["loss_type"])

    assert [key for key, _ in fields["loss_type"]["selection"]] == [
        "availability", "performance", "quality", "productive"]


def test_downtime_blocks_the_work_center_until_unblocked(rpc: Rpc) -> None:
    center = rpc.one("mrp.workcenter", [("code", "=", "MACH")])
    failure = rpc.one("mrp.workcenter.productivity.loss",
                      [("name", "=", "Equipment Failure")])
    done = rpc("mrp.workcenter.productivity", "create", {
        "workcenter_id": center, "loss_id": failure,
        "date_start": "2026-12-03 06:00:00", "date_end": "2026-12-03 07:30:00"})
    rpc("mrp.workcenter.productivity", "create", {
        "workcenter_id": center, "loss_id": failure,
        "date_start": "2026-12-03 09:00:00"})

    rpc("mrp.workcenter", "unblock", [center])

    assert read(rpc, "mrp.workcenter.productivity", [done], "duration")[0][
        "duration"] == 90
    assert read(rpc, "mrp.workcenter", [center], "working_state")[0][
        "working_state"] == "normal"
    assert rpc("mrp.workcenter.productivity", "search_count",
               [("date_end", "=", False)]) == 0
    with pytest.raises(xmlrpc.client.Fault) as again:
        rpc("mrp.workcenter", "unblock", [center])
    assert again.value.faultCode == 2


# Quality and maintenance -----------------------------------------------------


def test_quality_check_fails_a_lot_of_a_production(rpc: Rpc, order: int) -> None:
    lot = pump_lot(rpc, "P-7")
    check = rpc("quality.check", "create", {"lot_id": lot, "production_id": order,
                                            "x_event_id": "qc-1"})

    rpc("quality.check", "do_fail", [check])
    [row] = read(rpc, "quality.check", [check], "quality_state", "product_id",
                 "control_date", "production_id", "name")

    assert row["quality_state"] == "fail" and row["control_date"]
    assert row["product_id"][1] == "[PUMP-100] Centrifugal pump CP-100"
    assert row["production_id"][1] == "1000001"
    assert row["name"].startswith("QC")


def test_maintenance_request_moves_through_stages(rpc: Rpc) -> None:
    equipment = rpc.one("maintenance.equipment", [("name", "=", "CNC-01")])
    request = rpc("maintenance.request", "create",
                  {"name": "Spindle noise", "equipment_id": equipment})
    fresh = read(rpc, "maintenance.request", [request], "stage_id",
                 "maintenance_team_id", "request_date", "close_date")[0]
    repaired = rpc.one("maintenance.stage", [("name", "=", "Repaired")])

    rpc("maintenance.request", "write", [request], {"stage_id": repaired})
    closed = read(rpc, "maintenance.request", [request], "close_date")[0]
    rpc("maintenance.request", "write", [request], {"stage_id": fresh["stage_id"][0]})

    assert fresh["stage_id"][1] == "New Request" and fresh["request_date"]
    assert fresh["maintenance_team_id"][1] == "Leipzig Pump Works maintenance"
    assert fresh["close_date"] is False and closed["close_date"]
    assert read(rpc, "maintenance.request", [request], "close_date")[0][
        "close_date"] is False
