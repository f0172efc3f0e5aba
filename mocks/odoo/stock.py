"""Stock rules: lots, quants, reservation and done moves.

Odoo keeps on-hand stock in ``stock.quant`` (product, location, lot); a
``stock.move`` goes draft → confirmed → (partially_available) → assigned →
done, and only ``done`` changes quants.  SAP calls the same thing a material
document; plant events call it a stock move.  Quants are kept for internal
locations only; virtual locations (production, inventory, scrap) have no
stock, and moves out of them need no reservation.  Quantities are converted
and rounded as ``mocks.odoo.units`` describes; a line's quantity must respect
its unit's rounding when it is done.
"""

from __future__ import annotations

from typing import Any

from mocks.odoo import methods
from mocks.odoo.errors import user_error, validation_error
from mocks.odoo.orm import Database, Env, Row, now_text
from mocks.odoo.units import compute_quantity, float_compare, float_round, store

RESERVABLE = ("confirmed", "partially_available", "waiting")


def rounding_of(db: Database, uom: Any) -> float:
    return float(db.row("uom.uom", uom)["rounding"]) if uom else 0.001


def convert(db: Database, qty: float, from_uom: Any, to_uom: Any) -> float:
    """``uom._compute_quantity`` (HALF-UP), checking both share a category;
    like Odoo it rounds to the target's step even within one unit."""
    if not from_uom or not to_uom or not qty:
        return qty
    source, target = db.row("uom.uom", from_uom), db.row("uom.uom", to_uom)
    if from_uom == to_uom:
        return float_round(qty, float(target["rounding"]))
    if source["category_id"] != target["category_id"]:
        raise user_error(
            f"The unit of measure {source['name']} defined on the order line "
            f"doesn't belong to the same category as the unit of measure "
            f"{target['name']} defined on the product. Please correct the unit of "
            "measure defined on the order line or on the product, they should "
            "belong to the same category."
        )
    return compute_quantity(qty, float(source["factor"]), float(target["factor"]),
                            float(target["rounding"]))


def internal(db: Database, location: Any) -> bool:
    return bool(location) and db.row("stock.location", location)["usage"] in (
        "internal", "transit")


def product(db: Database, product_id: int) -> Row:
    return db.row("product.product", product_id)


def _product_rounding(db: Database, product_id: int) -> float:
    return rounding_of(db, product(db, product_id)["uom_id"])


# Lots ----------------------------------------------------------------------------


def _check_lot(db: Database, env: Env, record_id: int, values: Row) -> None:
    lot = db.row("stock.lot", record_id)
    twins = [
        other for other in db.find("stock.lot", name=lot["name"],
                                   product_id=lot["product_id"])
        if other["id"] != record_id and other["company_id"] == lot["company_id"]
    ]
    if twins:
        raise validation_error(
            "The combination of serial number and product must be unique across "
            f"a company.\nFollowing combination contains duplicates:\n - Product: "
            f"{db.display_name('product.product', lot['product_id'])}, Serial "
            f"Number: {lot['name']}"
        )


def lot_for(db: Database, env: Env, product_id: int, name: str, company: int) -> int:
    """The lot ``name`` of a product in a company, created when missing."""
    for lot in db.find("stock.lot", name=name, product_id=product_id):
        if lot["company_id"] in (company, False):
            return int(lot["id"])
    return methods.create_one(
        db, env, "stock.lot",
        {"name": name, "product_id": product_id, "company_id": company},
    )


# Quants --------------------------------------------------------------------------


def update_quant(db: Database, env: Env, product_id: int, location: int, lot: Any,
                 quantity: float = 0.0, reserved: float = 0.0) -> None:
    """Add to the on-hand and reserved quantity of one quant (product unit)."""
    if not internal(db, location):
        return
    rounding = _product_rounding(db, product_id)
    rows = db.find("stock.quant", product_id=product_id, location_id=location,
                   lot_id=lot or False)
    if rows:
        quant = rows[0]
        new_qty = float_round(quant["quantity"] + quantity, rounding)
        new_reserved = float_round(quant["reserved_quantity"] + reserved, rounding)
        db.update("stock.quant", quant["id"], {
            "quantity": store(new_qty), "reserved_quantity": store(max(new_reserved,
                                                                       0.0)),
        }, env.uid)
    else:
        company = db.row("stock.location", location)["company_id"]
        db.insert("stock.quant", {
            "product_id": product_id, "location_id": location, "lot_id": lot or False,
            "quantity": store(float_round(quantity, rounding)),
            "reserved_quantity": store(max(reserved, 0.0)), "company_id": company,
        }, env.uid)
    if lot and product(db, product_id)["tracking"] == "serial":
        _check_serial(db, product_id, lot)


def _check_serial(db: Database, product_id: int, lot: int) -> None:
    """``stock.quant.check_quantity``: a serial is at most once in stock."""
    on_hand = sum(quant["quantity"] for quant in db.find("stock.quant", lot_id=lot)
                  if internal(db, quant["location_id"]))
    if float_compare(abs(on_hand), 1.0, _product_rounding(db, product_id)) > 0:
        raise validation_error(
            "The serial number has already been assigned: \n Product: "
            f"{db.display_name('product.product', product_id)}, Serial Number: "
            f"{db.row('stock.lot', lot)['name']}"
        )


def apply_inventory(db: Database, env: Env, ids: Any) -> bool:
    """``stock.quant.action_apply_inventory``: the count becomes on hand."""
    for quant in db.browse(env, "stock.quant", ids):
        delta = quant["inventory_quantity"] - quant["quantity"]
        location = db.row("stock.location", quant["location_id"])
        loss = _virtual(db, location["company_id"], "inventory")
        source, dest = (loss, quant["location_id"]) if delta > 0 else (
            quant["location_id"], loss)
        move = methods.create_one(db, env, "stock.move", {
            "name": "Product Quantity Updated", "product_id": quant["product_id"],
            "product_uom_qty": abs(delta), "location_id": source,
            "location_dest_id": dest, "company_id": quant["company_id"],
            "move_line_ids": [(0, 0, {"lot_id": quant["lot_id"],
                                      "quantity": abs(delta)})],
        })
        done(db, env, [move])
        db.update("stock.quant", quant["id"], {"inventory_quantity": 0.0}, env.uid)
    return True


def _virtual(db: Database, company: int, usage: str) -> int:
    for row in db.find("stock.location", usage=usage, company_id=company):
        if not row["scrap_location"]:
            return int(row["id"])
    raise user_error(f"No {usage} location is configured for company {company}")


# Moves and move lines ----------------------------------------------------------


def _on_move(db: Database, env: Env, record_id: int, values: Row) -> None:
    move = db.row("stock.move", record_id)
    item = product(db, move["product_id"])
    fixes: Row = {}
    if not move["product_uom"]:
        fixes["product_uom"] = item["uom_id"]
    if move["picking_id"] and not move["reference"]:
        fixes["reference"] = db.row("stock.picking", move["picking_id"])["name"]
    if fixes:
        db.update("stock.move", record_id, fixes, env.uid)
    if "quantity" in values and "move_line_ids" not in values:
        set_move_quantity(db, env, record_id, float(values["quantity"]))


def set_move_quantity(db: Database, env: Env, move_id: int, qty: float) -> None:
    """Writing ``stock.move.quantity``: one line carries it."""
    lines = db.find("stock.move.line", move_id=move_id)
    move = db.row("stock.move", move_id)
    if move["state"] in ("done", "cancel"):
        raise user_error("You cannot change the quantity of a done or cancelled move.")
    if not lines:
        lots = move["lot_ids"] or [False]
        methods.create_one(db, env, "stock.move.line", {
            "move_id": move_id, "quantity": qty, "lot_id": lots[0]})
    elif len(lines) == 1:
        db.update("stock.move.line", lines[0]["id"], {"quantity": store(qty)})
        _sum_lines(db, env, move_id)
    elif float_compare(move["quantity"], qty, 0.001):
        raise user_error(
            "The quantity of a move with several detailed operations cannot be "
            "set directly; edit its move lines (move_line_ids) instead."
        )


def _on_line(db: Database, env: Env, record_id: int, values: Row) -> None:
    line = db.row("stock.move.line", record_id)
    fixes: Row = {}
    if line["move_id"]:
        move = db.row("stock.move", line["move_id"])
        for mine, theirs in (("product_id", "product_id"), ("picking_id", "picking_id"),
                             ("location_id", "location_id"),
                             ("location_dest_id", "location_dest_id"),
                             ("product_uom_id", "product_uom")):
            if not line[mine]:
                fixes[mine] = move[theirs]
        if line["state"] == "draft":
            fixes["state"] = move["state"]
    if not (line["product_id"] or fixes.get("product_id")):
        raise validation_error("A move line needs a product or a move (move_id).")
    product_id = fixes.get("product_id") or line["product_id"]
    if not (line["product_uom_id"] or fixes.get("product_uom_id")):
        fixes["product_uom_id"] = product(db, product_id)["uom_id"]
    if line["lot_name"] and not line["lot_id"]:
        company = fixes.get("company_id") or line["company_id"]
        fixes["lot_id"] = lot_for(db, env, product_id, line["lot_name"], company)
    if fixes:
        db.update("stock.move.line", record_id, fixes, env.uid)
    if line["move_id"]:
        _sum_lines(db, env, line["move_id"])


def _sum_lines(db: Database, env: Env, move_id: int) -> None:
    lines = db.find("stock.move.line", move_id=move_id)
    total = sum(line["quantity"] for line in lines)
    lots = sorted({line["lot_id"] for line in lines if line["lot_id"]})
    db.update("stock.move", move_id, {"quantity": store(total), "lot_ids": lots},
              env.uid)


def confirm(db: Database, env: Env, ids: Any) -> bool:
    """``_action_confirm``: draft moves become confirmed and, when their
    operation type reserves at confirmation or their source needs no
    reservation, are reserved at once."""
    confirmed = []
    for move in db.browse(env, "stock.move", ids):
        if move["state"] == "draft":
            db.update("stock.move", move["id"], {"state": "confirmed"}, env.uid)
            confirmed.append(move)
    assign(db, env, [move["id"] for move in confirmed if _reserves_now(db, move)])
    return True


def _reserves_now(db: Database, move: Row) -> bool:
    """Transfers reserve at confirmation as their operation type says, and a
    move from a virtual location at once; manufacturing orders reserve with
    ``action_assign`` (the seeded Manufacturing type reserves manually)."""
    if move["production_id"] or move["raw_material_production_id"]:
        return False
    if not internal(db, move["location_id"]):
        return True
    if not move["picking_id"]:
        return False
    kind = db.row("stock.picking", move["picking_id"])["picking_type_id"]
    return bool(db.row("stock.picking.type", kind)["reservation_method"]
                == "at_confirm")


def assign(db: Database, env: Env, ids: Any) -> bool:
    """``_action_assign``: reserve stock; a serial is never reserved twice."""
    for move in db.browse(env, "stock.move", ids):
        if move["state"] not in RESERVABLE:
            continue
        uom_rounding = rounding_of(db, move["product_uom"])
        need = float_round(move["product_uom_qty"] - move["quantity"], uom_rounding)
        if need <= 0:
            db.update("stock.move", move["id"], {"state": "assigned"}, env.uid)
            continue
        if not internal(db, move["location_id"]):
            _add_line(db, env, move, False, need, reserved=False)
            db.update("stock.move", move["id"], {"state": "assigned"}, env.uid)
            continue
        base = product(db, move["product_id"])["uom_id"]
        need = convert(db, need, move["product_uom"], base)
        taken = _reserve(db, env, move, need)
        rounding = rounding_of(db, base)
        if float_compare(taken, need, rounding) >= 0:
            state = "assigned"
        else:
            state = "partially_available" if taken > 0 else "confirmed"
        db.update("stock.move", move["id"], {"state": state}, env.uid)
    return True


def _reserve(db: Database, env: Env, move: Row, need: float) -> float:
    taken = 0.0
    lots = set(move["lot_ids"])
    item = product(db, move["product_id"])
    rounding = rounding_of(db, item["uom_id"])
    quants = db.find("stock.quant", product_id=move["product_id"],
                     location_id=move["location_id"])
    for quant in sorted(quants, key=lambda q: q["id"]):
        if float_compare(taken, need, rounding) >= 0:
            break
        if lots and quant["lot_id"] not in lots:
            continue
        free = float_round(quant["quantity"] - quant["reserved_quantity"], rounding)
        if free <= 0:
            continue
        amount = min(free, float_round(need - taken, rounding))
        if item["tracking"] == "serial":
            amount = 1.0 if amount >= 1 else 0.0
            if not amount:
                continue
        update_quant(db, env, move["product_id"], move["location_id"],
                     quant["lot_id"], reserved=amount)
        shown = convert(db, amount, item["uom_id"], move["product_uom"])
        _add_line(db, env, move, quant["lot_id"], shown, reserved=True)
        taken = float_round(taken + amount, rounding)
    return taken


def _add_line(db: Database, env: Env, move: Row, lot: Any, qty: float,
              reserved: bool) -> None:
    line = methods.create_one(db, env, "stock.move.line", {
        "move_id": move["id"], "lot_id": lot, "quantity": qty})
    if reserved:
        db.update("stock.move.line", line, {"reserved_quantity": store(qty)})


def unreserve(db: Database, env: Env, move: Row) -> None:
    for line in db.find("stock.move.line", move_id=move["id"]):
        if line["reserved_quantity"]:
            qty = convert(db, line["reserved_quantity"], line["product_uom_id"],
                          product(db, line["product_id"])["uom_id"])
            update_quant(db, env, line["product_id"], line["location_id"],
                         line["lot_id"], reserved=-qty)
            db.update("stock.move.line", line["id"], {"reserved_quantity": 0.0})


def done(db: Database, env: Env, ids: list[int]) -> None:
    """Mark moves done: the quants of every line change in this transaction."""
    for move in db.browse(env, "stock.move", ids):
        if move["state"] in ("done", "cancel"):
            continue
        item = product(db, move["product_id"])
        lines = db.find("stock.move.line", move_id=move["id"])
        unreserve(db, env, move)
        for line in lines:
            qty = _line_qty(db, line, item)
            if item["tracking"] != "none" and not line["lot_id"] and qty:
                raise user_error(
                    "You need to supply a Lot/Serial number for product: \n - "
                    f"{db.display_name('product.product', item['id'])}"
                )
            if item["tracking"] == "serial" and qty not in (0, 1):
                raise user_error(
                    "You can only process 1.0 Units of products with unique "
                    f"serial number ({item['default_code'] or item['name']})."
                )
            update_quant(db, env, item["id"], line["location_id"], line["lot_id"],
                         quantity=-qty)
            update_quant(db, env, item["id"], line["location_dest_id"],
                         line["lot_id"], quantity=qty)
            db.update("stock.move.line", line["id"],
                      {"state": "done", "date": now_text()}, env.uid)
        _sum_lines(db, env, move["id"])
        state = "done" if any(line["quantity"] for line in lines) else "cancel"
        db.update("stock.move", move["id"], {"state": state, "date": now_text(),
                                             "picked": True}, env.uid)


def _line_qty(db: Database, line: Row, item: Row) -> float:
    """The line's quantity in the product's unit, after the rounding check."""
    uom = db.row("uom.uom", line["product_uom_id"] or item["uom_id"])
    quantity = float(line["quantity"])
    if float_compare(float_round(quantity, float(uom["rounding"])), quantity,
                     0.001):
        raise user_error(
            f"The quantity done for the product \"{item['name']}\" doesn't respect "
            f"the rounding precision defined on the unit of measure "
            f"\"{uom['name']}\". Please change the quantity done or the rounding "
            "precision of your unit of measure."
        )
    return convert(db, quantity, uom["id"], item["uom_id"])


def cancel(db: Database, env: Env, ids: Any) -> bool:
    for move in db.browse(env, "stock.move", ids):
        if move["state"] == "done":
            raise user_error("You cannot cancel a stock move that has been set to "
                             "'Done'. Create a return in order to reverse it.")
        unreserve(db, env, move)
        db.update("stock.move", move["id"], {"state": "cancel"}, env.uid)
    return True


def _before_move_unlink(db: Database, env: Env, row: Row) -> None:
    if row["state"] == "done":
        raise user_error("You can not delete product moves if the picking is done. "
                         "You can only correct the done quantities.")
    unreserve(db, env, row)
    for line in db.find("stock.move.line", move_id=row["id"]):
        db.delete("stock.move.line", line["id"])


def _prepare_line(db: Database, env: Env, values: Row) -> Row:
    """A move line belongs to its move's company."""
    move = values.get("move_id")
    if isinstance(move, int) and move in db.tables["stock.move"]:
        return {**values, "company_id": db.row("stock.move", move)["company_id"]}
    return values


def _after_line_unlink(db: Database, env: Env, row: Row) -> None:
    if row["move_id"] and row["move_id"] in db.tables["stock.move"]:
        _sum_lines(db, env, row["move_id"])


def _before_line_unlink(db: Database, env: Env, row: Row) -> None:
    if row["state"] == "done":
        raise user_error("You can not delete product moves if the picking is done. "
                         "You can only correct the done quantities.")
    if row["reserved_quantity"]:
        qty = convert(db, row["reserved_quantity"], row["product_uom_id"],
                      product(db, row["product_id"])["uom_id"])
        update_quant(db, env, row["product_id"], row["location_id"], row["lot_id"],
                     reserved=-qty)


methods.ON_CREATE.update({"stock.lot": _check_lot, "stock.move": _on_move,
                          "stock.move.line": _on_line})
methods.ON_WRITE.update({"stock.lot": _check_lot, "stock.move": _on_move,
                         "stock.move.line": _on_line})
methods.ON_UNLINK.update({"stock.move": _before_move_unlink,
                          "stock.move.line": _before_line_unlink})
methods.AFTER_UNLINK["stock.move.line"] = _after_line_unlink
methods.PREPARE["stock.move.line"] = _prepare_line
methods.ACTIONS.update({
    ("stock.quant", "action_apply_inventory"): apply_inventory,
})
