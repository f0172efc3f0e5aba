"""Transfers (``stock.picking``): confirm, reserve, validate.

A picking groups moves between two locations; ``button_validate`` marks its
moves done in one transaction.  When less than the demand is done, Odoo
answers with the backorder wizard (an action dictionary) unless the context
says ``skip_backorder``; the mock then drops the rest (no backorder).
"""

from __future__ import annotations

from typing import Any

from mocks.odoo import methods, stock
from mocks.odoo.errors import user_error
from mocks.odoo.orm import Database, Env, Row, now_text
from mocks.odoo.units import float_compare


def _prepare(db: Database, env: Env, values: Row) -> Row:
    kind_id = values.get("picking_type_id")
    if not isinstance(kind_id, int) or kind_id not in db.tables["stock.picking.type"]:
        return values
    kind = db.row("stock.picking.type", kind_id)
    return {
        "location_id": kind["default_location_src_id"],
        "location_dest_id": kind["default_location_dest_id"],
        **values,
        "company_id": kind["company_id"],  # related to the operation type
    }


def _on_picking(db: Database, env: Env, record_id: int, values: Row) -> None:
    picking = db.row("stock.picking", record_id)
    kind = db.row("stock.picking.type", picking["picking_type_id"])
    fixes: Row = {}
    if picking["name"] in ("/", False):
        prefix = kind["sequence_code"] or "INT"
        fixes["name"] = f"WH/{prefix}/{record_id:05d}"
    if fixes:
        db.update("stock.picking", record_id, fixes, env.uid)
    for move in db.find("stock.move", picking_id=record_id):
        if not move["reference"]:
            db.update("stock.move", move["id"],
                      {"reference": db.row("stock.picking", record_id)["name"]})


def _moves(db: Database, picking: Row) -> list[Row]:
    return db.find("stock.move", picking_id=picking["id"])


def _sync_state(db: Database, env: Env, picking_id: int) -> None:
    moves = db.find("stock.move", picking_id=picking_id)
    states = {move["state"] for move in moves}
    if not moves or states <= {"draft"}:
        state = "draft"
    elif states <= {"done", "cancel"}:
        state = "done" if "done" in states else "cancel"
    elif states & {"assigned", "partially_available"}:
        state = "assigned"
    else:
        state = "confirmed"
    db.update("stock.picking", picking_id, {"state": state}, env.uid)


def action_confirm(db: Database, env: Env, ids: Any) -> bool:
    for picking in db.browse(env, "stock.picking", ids):
        stock.confirm(db, env, [move["id"] for move in _moves(db, picking)])
        _sync_state(db, env, picking["id"])
    return True


def action_assign(db: Database, env: Env, ids: Any) -> bool:
    for picking in db.browse(env, "stock.picking", ids):
        moves = [move["id"] for move in _moves(db, picking)]
        stock.confirm(db, env, moves)
        stock.assign(db, env, moves)
        _sync_state(db, env, picking["id"])
    return True


def button_validate(db: Database, env: Env, ids: Any) -> Any:
    """Validate transfers: a draft one is confirmed first and its moves with
    nothing reserved take their demand as quantity (Odoo 17 and later)."""
    pickings = db.browse(env, "stock.picking", ids)
    for picking in pickings:
        if picking["state"] in ("done", "cancel"):
            raise user_error(f"The transfer {picking['name']} is already "
                             f"{picking['state']}.")
        if picking["state"] == "draft":
            _confirm_draft(db, env, picking)
        moves = [m for m in _moves(db, picking) if m["state"] not in ("done", "cancel")]
        if all(m["quantity"] <= 0 for m in moves):
            raise user_error(
                "You cannot validate a transfer if no quantities are reserved nor "
                "done. You can use the info button on the top right corner of your "
                "screen to know why the picking is empty."
            )
        short = any(float_compare(m["quantity"], m["product_uom_qty"],
                                  stock.rounding_of(db, m["product_uom"])) < 0
                    for m in moves)
        if short and not env.context.get("skip_backorder"):
            return _backorder_wizard(picking)
    for picking in pickings:
        move_ids = [m["id"] for m in _moves(db, picking)]
        stock.done(db, env, move_ids)
        db.update("stock.picking", picking["id"], {"date_done": now_text()}, env.uid)
        _sync_state(db, env, picking["id"])
    return True


def _confirm_draft(db: Database, env: Env, picking: Row) -> None:
    action_confirm(db, env, [picking["id"]])
    for move in _moves(db, picking):
        if move["quantity"] <= 0 < move["product_uom_qty"]:
            stock.set_move_quantity(db, env, move["id"], move["product_uom_qty"])


def _backorder_wizard(picking: Row) -> dict[str, Any]:
    return {
        "name": "Create Backorder?",
        "type": "ir.actions.act_window",
        "view_mode": "form",
        "res_model": "stock.backorder.confirmation",
        "views": [[False, "form"]],
        "target": "new",
        "context": {"button_validate_picking_ids": [picking["id"]],
                    "default_pick_ids": [[4, picking["id"]]]},
    }


def action_cancel(db: Database, env: Env, ids: Any) -> bool:
    for picking in db.browse(env, "stock.picking", ids):
        stock.cancel(db, env, [m["id"] for m in _moves(db, picking)
                               if m["state"] != "cancel"])
        _sync_state(db, env, picking["id"])
    return True


methods.ON_CREATE["stock.picking"] = _on_picking
methods.PREPARE["stock.picking"] = _prepare
methods.ACTIONS.update({
    ("stock.picking", "action_confirm"): action_confirm,
    ("stock.picking", "action_assign"): action_assign,
    ("stock.picking", "button_validate"): button_validate,
    ("stock.picking", "action_cancel"): action_cancel,
    ("stock.move", "action_cancel"): stock.cancel,
})
