"""Manufacturing: ``mrp.production`` and ``mrp.workorder``.

An Odoo manufacturing order is SAP's production order; its work orders are
SAP's operations.  ``button_mark_done`` consumes the raw moves (as picked, or
as planned for ``qty_producing``) and receives the finished move with
``lot_producing_id``, all in one transaction.
"""

from __future__ import annotations

from typing import Any

from mocks.odoo import methods, stock
from mocks.odoo.errors import user_error
from mocks.odoo.orm import Database, Env, Row, now_text
from mocks.odoo.units import float_round, store

_OPEN = ("draft", "confirmed", "progress", "to_close")


def compute_state(db: Database, env: Env, production_id: int) -> None:
    """Odoo's computed production state from work orders and quantities."""
    mo = db.row("mrp.production", production_id)
    if mo["state"] in ("draft", "done", "cancel"):
        return
    orders = db.find("mrp.workorder", production_id=production_id)
    states = {wo["state"] for wo in orders}
    producing = mo["qty_producing"]
    if orders and states <= {"done", "cancel"}:
        state = "to_close"
    elif not orders and producing >= mo["product_qty"]:
        state = "to_close"
    elif states & {"progress", "done"} or producing > 0:
        state = "progress"
    else:
        state = "confirmed"
    if state != mo["state"]:
        db.update("mrp.production", production_id, {"state": state}, env.uid)


def _on_production(db: Database, env: Env, record_id: int, values: Row) -> None:
    mo = db.row("mrp.production", record_id)
    fixes: Row = {}
    if not mo["product_uom_id"]:
        fixes["product_uom_id"] = stock.product(db, mo["product_id"])["uom_id"]
    if mo["name"] in ("New", False):
        fixes["name"] = f"WH/MO/{record_id:05d}"
    if fixes:
        db.update("mrp.production", record_id, fixes, env.uid)
    if "qty_producing" in values and mo["state"] in _OPEN:
        compute_state(db, env, record_id)


def _finished_move(db: Database, env: Env, mo: Row) -> int:
    moves = [m for m in db.find("stock.move", production_id=mo["id"])
             if m["product_id"] == mo["product_id"]]
    if moves:
        return int(moves[0]["id"])
    return methods.create_one(db, env, "stock.move", {
        "name": mo["name"], "product_id": mo["product_id"],
        "product_uom_qty": mo["product_qty"], "product_uom": mo["product_uom_id"],
        "location_id": production_location(db, mo["company_id"]),
        "location_dest_id": mo["location_dest_id"], "production_id": mo["id"],
        "origin": mo["origin"] or mo["name"], "company_id": mo["company_id"],
    })


def production_location(db: Database, company: int) -> int:
    for row in db.find("stock.location", usage="production", company_id=company):
        return int(row["id"])
    raise user_error(f"No production location is configured for company {company}")


def action_confirm(db: Database, env: Env, ids: Any) -> bool:
    for mo in db.browse(env, "mrp.production", ids):
        if mo["state"] != "draft":
            continue
        if not mo["location_dest_id"]:
            raise user_error(f"{mo['name']}: set location_dest_id before confirming.")
        _finished_move(db, env, mo)
        moves = [m["id"] for m in _all_moves(db, mo)]
        stock.confirm(db, env, moves)
        db.update("mrp.production", mo["id"], {"state": "confirmed"}, env.uid)
        compute_state(db, env, mo["id"])
    return True


def _all_moves(db: Database, mo: Row) -> list[Row]:
    return (db.find("stock.move", raw_material_production_id=mo["id"])
            + db.find("stock.move", production_id=mo["id"]))


def action_assign(db: Database, env: Env, ids: Any) -> bool:
    for mo in db.browse(env, "mrp.production", ids):
        raws = db.find("stock.move", raw_material_production_id=mo["id"])
        stock.assign(db, env, [m["id"] for m in raws])
    return True


def button_mark_done(db: Database, env: Env, ids: Any) -> Any:
    productions = db.browse(env, "mrp.production", ids)
    for mo in productions:
        if mo["state"] not in ("confirmed", "progress", "to_close"):
            raise user_error(f"{mo['name']}: only a confirmed order can be done "
                             f"(state is {mo['state']!r}).")
        producing = mo["qty_producing"] or mo["product_qty"]
        if producing < mo["product_qty"] and not env.context.get(
                "skip_backorder"):
            return _backorder_wizard(mo)
    for mo in productions:
        _mark_done(db, env, mo)
    return True


def _mark_done(db: Database, env: Env, mo: Row) -> None:
    producing = mo["qty_producing"] or mo["product_qty"]
    item = stock.product(db, mo["product_id"])
    if item["tracking"] != "none" and not mo["lot_producing_id"]:
        raise user_error(f"You need to supply a Lot/Serial number for "
                         f"{db.display_name('product.product', item['id'])}.")
    ratio = producing / (mo["product_qty"] or 1.0)
    raws = [m for m in db.find("stock.move", raw_material_production_id=mo["id"])
            if m["state"] not in ("done", "cancel")]
    # Known gap: a component already reserved is consumed as reserved, not in
    # proportion to qty_producing (Odoo rescales it when qty_producing changes).
    for move in raws:
        if move["quantity"] <= 0:
            planned = float_round(move["product_uom_qty"] * ratio,
                                  stock.rounding_of(db, move["product_uom"]))
            stock.set_move_quantity(db, env, move["id"], planned)
    stock.done(db, env, [m["id"] for m in raws])
    finished = db.row("stock.move", _finished_move(db, env, mo))
    stock.confirm(db, env, [finished["id"]])
    for line in db.find("stock.move.line", move_id=finished["id"]):
        db.delete("stock.move.line", line["id"])
    methods.create_one(db, env, "stock.move.line", {
        "move_id": finished["id"], "quantity": producing,
        "lot_id": mo["lot_producing_id"]})
    stock.done(db, env, [finished["id"]])
    stamp = now_text()
    for wo in db.find("mrp.workorder", production_id=mo["id"]):
        if wo["state"] not in ("done", "cancel"):
            _finish(db, env, wo, stamp)
    db.update("mrp.production", mo["id"], {
        "state": "done", "qty_producing": store(producing),
        "qty_produced": store(producing), "date_finished": stamp,
    }, env.uid)


def _backorder_wizard(mo: Row) -> dict[str, Any]:
    return {
        "name": "Create Backorder?", "type": "ir.actions.act_window",
        "res_model": "mrp.production.backorder", "views": [[False, "form"]],
        "target": "new", "context": {"default_mrp_production_ids": [mo["id"]]},
    }


def action_cancel(db: Database, env: Env, ids: Any) -> bool:
    for mo in db.browse(env, "mrp.production", ids):
        if mo["state"] == "done":
            raise user_error(f"{mo['name']}: a done order cannot be cancelled.")
        stock.cancel(db, env, [m["id"] for m in _all_moves(db, mo)
                               if m["state"] not in ("done", "cancel")])
        for wo in db.find("mrp.workorder", production_id=mo["id"]):
            db.update("mrp.workorder", wo["id"], {"state": "cancel"}, env.uid)
        db.update("mrp.production", mo["id"], {"state": "cancel"}, env.uid)
    return True


# Work orders ---------------------------------------------------------------------


def _on_workorder(db: Database, env: Env, record_id: int, values: Row) -> None:
    wo = db.row("mrp.workorder", record_id)
    mo = db.row("mrp.production", wo["production_id"])
    fixes: Row = {}
    if not wo["product_id"]:
        fixes["product_id"] = mo["product_id"]
    if not wo["qty_production"]:
        fixes["qty_production"] = mo["product_qty"]
    if fixes:
        db.update("mrp.workorder", record_id, fixes, env.uid)
    compute_state(db, env, mo["id"])


def button_start(db: Database, env: Env, ids: Any) -> bool:
    from mocks.odoo.shopfloor import open_time

    for wo in db.browse(env, "mrp.workorder", ids):
        if wo["state"] in ("done", "cancel"):
            raise user_error("You cannot start a work order that is already done "
                             "or cancelled")
        if wo["state"] == "progress":
            continue
        stamp = now_text()
        db.update("mrp.workorder", wo["id"], {
            "state": "progress", "date_start": wo["date_start"] or stamp}, env.uid)
        open_time(db, env, wo, stamp)
        mo = db.row("mrp.production", wo["production_id"])
        if not mo["date_start"]:
            db.update("mrp.production", mo["id"], {"date_start": stamp}, env.uid)
        compute_state(db, env, wo["production_id"])
    return True


def button_finish(db: Database, env: Env, ids: Any) -> bool:
    stamp = now_text()
    for wo in db.browse(env, "mrp.workorder", ids):
        if wo["state"] not in ("done", "cancel"):
            _finish(db, env, wo, stamp)
            compute_state(db, env, wo["production_id"])
    return True


def _finish(db: Database, env: Env, wo: Row, stamp: str) -> None:
    from mocks.odoo.shopfloor import close_time

    close_time(db, env, wo["id"], stamp)
    produced = wo["qty_produced"] or wo["qty_producing"] or wo["qty_production"]
    db.update("mrp.workorder", wo["id"], {
        "state": "done", "qty_produced": produced, "date_finished": stamp,
        "date_start": wo["date_start"] or stamp}, env.uid)


def button_pending(db: Database, env: Env, ids: Any) -> bool:
    from mocks.odoo.shopfloor import close_time

    for wo in db.browse(env, "mrp.workorder", ids):
        if wo["state"] == "progress":
            close_time(db, env, wo["id"], now_text())
            db.update("mrp.workorder", wo["id"], {"state": "ready"}, env.uid)
    return True


def record_production(db: Database, env: Env, ids: Any) -> bool:
    """Add ``qty_producing`` to ``qty_produced``; finish when all is made."""
    for wo in db.browse(env, "mrp.workorder", ids):
        if wo["state"] in ("done", "cancel"):
            raise user_error("This work order is already done or cancelled.")
        produced = store(wo["qty_produced"] + wo["qty_producing"])
        db.update("mrp.workorder", wo["id"], {
            "qty_produced": produced, "qty_producing": 0.0}, env.uid)
        if produced >= wo["qty_production"]:
            _finish(db, env, db.row("mrp.workorder", wo["id"]), now_text())
        compute_state(db, env, wo["production_id"])
    return True


def _prepare_workorder(db: Database, env: Env, values: Row) -> Row:
    """A work order belongs to its manufacturing order's company."""
    mo = values.get("production_id")
    if isinstance(mo, int) and mo in db.tables["mrp.production"]:
        return {**values, "company_id": db.row("mrp.production", mo)["company_id"]}
    return values


methods.PREPARE["mrp.workorder"] = _prepare_workorder
methods.ON_CREATE.update({"mrp.production": _on_production,
                          "mrp.workorder": _on_workorder})
methods.ON_WRITE.update({"mrp.production": _on_production,
                         "mrp.workorder": _on_workorder})
methods.ACTIONS.update({
    ("mrp.production", "action_confirm"): action_confirm,
    ("mrp.production", "action_assign"): action_assign,
    ("mrp.production", "button_mark_done"): button_mark_done,
    ("mrp.production", "action_cancel"): action_cancel,
    ("mrp.workorder", "button_start"): button_start,
    ("mrp.workorder", "button_finish"): button_finish,
    ("mrp.workorder", "button_pending"): button_pending,
    ("mrp.workorder", "record_production"): record_production,
})
