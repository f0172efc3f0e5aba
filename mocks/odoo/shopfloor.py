"""Downtime, quality checks and maintenance requests.

``mrp.workcenter.productivity`` is Odoo's time log of a work center; its loss
type (availability, performance, quality, productive) sorts downtime for OEE.
SAP has no counterpart in this flow.  ``quality.check`` is SAP's inspection
lot usage decision; ``maintenance.request`` is SAP's maintenance
notification.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mocks.odoo import methods
from mocks.odoo.errors import user_error
from mocks.odoo.orm import Database, Env, Row, now_text

_FORMAT = "%Y-%m-%d %H:%M:%S"


def _minutes(start: Any, end: Any) -> float:
    if not start or not end:
        return 0.0
    delta = datetime.strptime(end[:19], _FORMAT) - datetime.strptime(
        start[:19], _FORMAT)
    return round(delta.total_seconds() / 60.0, 4)


def _on_productivity(db: Database, env: Env, record_id: int, values: Row) -> None:
    row = db.row("mrp.workcenter.productivity", record_id)
    loss = db.row("mrp.workcenter.productivity.loss", row["loss_id"])
    fixes: Row = {
        "loss_type": loss["loss_type"],
        "duration": _minutes(row["date_start"], row["date_end"]),
    }
    if not row["date_start"]:
        fixes["date_start"] = now_text()
    if row["workorder_id"] and not row["production_id"]:
        wo = db.row("mrp.workorder", row["workorder_id"])
        fixes["production_id"] = wo["production_id"]
    db.update("mrp.workcenter.productivity", record_id, fixes, env.uid)
    _working_state(db, env, row["workcenter_id"])


def _working_state(db: Database, env: Env, workcenter: int) -> None:
    open_rows = [
        row for row in db.find("mrp.workcenter.productivity", workcenter_id=workcenter)
        if not row["date_end"]
    ]
    blocked = any(row["loss_type"] != "productive" for row in open_rows)
    state = "blocked" if blocked else ("done" if open_rows else "normal")
    db.update("mrp.workcenter", workcenter, {"working_state": state}, env.uid)


def _loss(db: Database, loss_type: str) -> int:
    rows = db.find("mrp.workcenter.productivity.loss", loss_type=loss_type)
    if not rows:
        raise user_error(f"No productivity loss of type {loss_type!r} is configured")
    return int(rows[0]["id"])


def open_time(db: Database, env: Env, wo: Row, stamp: str) -> None:
    methods.create_one(db, env, "mrp.workcenter.productivity", {
        "workcenter_id": wo["workcenter_id"], "workorder_id": wo["id"],
        "loss_id": _loss(db, "productive"), "date_start": stamp,
        "company_id": wo["company_id"],
    })


def close_time(db: Database, env: Env, workorder: int, stamp: str) -> None:
    for row in db.find("mrp.workcenter.productivity", workorder_id=workorder):
        if not row["date_end"]:
            methods.write(db, env, "mrp.workcenter.productivity", [row["id"]],
                          {"date_end": stamp})


def unblock(db: Database, env: Env, ids: Any) -> bool:
    """``mrp.workcenter.unblock``: end the open blocking time of work centers."""
    stamp = now_text()
    for center in db.browse(env, "mrp.workcenter", ids):
        if center["working_state"] != "blocked":
            raise user_error("It has already been unblocked.")
        for row in db.find("mrp.workcenter.productivity", workcenter_id=center["id"]):
            if not row["date_end"] and row["loss_type"] != "productive":
                methods.write(db, env, "mrp.workcenter.productivity", [row["id"]],
                              {"date_end": stamp})
    return True


def _decide(state: str) -> Any:
    def decide(db: Database, env: Env, ids: Any) -> bool:
        for check in db.browse(env, "quality.check", ids):
            db.update("quality.check", check["id"], {
                "quality_state": state, "control_date": now_text()}, env.uid)
        return True

    return decide


def _on_check(db: Database, env: Env, record_id: int, values: Row) -> None:
    check = db.row("quality.check", record_id)
    fixes: Row = {}
    if check["name"] in ("/", False):
        fixes["name"] = f"QC{record_id:05d}"
    if "quality_state" in values and values["quality_state"] != "none":
        fixes["control_date"] = check["control_date"] or now_text()
    if check["lot_id"] and not check["product_id"]:
        fixes["product_id"] = db.row("stock.lot", check["lot_id"])["product_id"]
    if fixes:
        db.update("quality.check", record_id, fixes, env.uid)


def _on_request(db: Database, env: Env, record_id: int, values: Row) -> None:
    request = db.row("maintenance.request", record_id)
    fixes: Row = {}
    if not request["stage_id"]:
        stages = sorted(db.rows("maintenance.stage"), key=lambda s: s["sequence"])
        fixes["stage_id"] = stages[0]["id"] if stages else False
    if not request["request_date"]:
        fixes["request_date"] = env.today()
    stage = fixes.get("stage_id") or request["stage_id"]
    if stage and db.row("maintenance.stage", stage)["done"]:
        fixes["close_date"] = request["close_date"] or env.today()
    elif "stage_id" in values:
        fixes["close_date"] = False
    if request["equipment_id"] and not request["maintenance_team_id"]:
        equipment = db.row("maintenance.equipment", request["equipment_id"])
        fixes["maintenance_team_id"] = equipment["maintenance_team_id"]
    db.update("maintenance.request", record_id, fixes, env.uid)


methods.ON_CREATE.update({"mrp.workcenter.productivity": _on_productivity,
                          "quality.check": _on_check,
                          "maintenance.request": _on_request})
methods.ON_WRITE.update({"mrp.workcenter.productivity": _on_productivity,
                         "quality.check": _on_check,
                         "maintenance.request": _on_request})
methods.ACTIONS.update({
    ("mrp.workcenter", "unblock"): unblock,
    ("quality.check", "do_pass"): _decide("pass"),
    ("quality.check", "do_fail"): _decide("fail"),
})
