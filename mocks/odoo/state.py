"""The snapshot ``GET /_mock/state`` returns for the oracle.

Each record carries Odoo's names (product ``default_code``, location
``complete_name``, lot name, company name) and, where the master data maps
them, the plant's codes (``plant``, ``material``, ``storage_location``,
``work_center``).  Quantities are decimal strings in the record's unit.
"""

from __future__ import annotations

from typing import Any

from mocks.odoo.orm import Database, Row
from mocks.odoo.seed import Seeded


class _Names:
    def __init__(self, db: Database, ids: Seeded) -> None:
        self.db = db
        self.plants = {company: code for code, company in ids.companies.items()}
        self.materials = {pid: code for code, pid in ids.products.items()}
        self.locations = {lid: key[1] for key, lid in ids.locations.items()}
        self.centers = {wid: key[1] for key, wid in ids.workcenters.items()}

    def field(self, model: str, record_id: Any, name: str) -> Any:
        if not record_id:
            return None
        row = self.db.tables[model].get(record_id)
        return row.get(name) if row else None

    def common(self, row: Row) -> dict[str, Any]:
        company = row.get("company_id")
        return {"id": row["id"], "company": self.field("res.company", company, "name"),
                "plant": self.plants.get(company) if company else None}

    def product(self, product_id: Any) -> dict[str, Any]:
        return {"product": self.field("product.product", product_id, "default_code"),
                "material": self.materials.get(product_id)}

    def location(self, location_id: Any, prefix: str = "") -> dict[str, Any]:
        return {f"{prefix}location": self.field("stock.location", location_id,
                                                "complete_name"),
                f"{prefix}storage_location": self.locations.get(location_id)}


def _qty(value: Any) -> str:
    text = f"{float(value or 0):.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def snapshot(db: Database, ids: Seeded) -> dict[str, Any]:
    names = _Names(db, ids)

    def lot(lot_id: Any) -> Any:
        return names.field("stock.lot", lot_id, "name")

    def uom(uom_id: Any) -> Any:
        return names.field("uom.uom", uom_id, "name")

    return {
        "quants": [
            {**names.common(q), **names.product(q["product_id"]),
             **names.location(q["location_id"]), "lot": lot(q["lot_id"]),
             "quantity": _qty(q["quantity"]),
             "reserved_quantity": _qty(q["reserved_quantity"])}
            for q in db.rows("stock.quant")
        ],
        "moves": [
            {**names.common(m), **names.product(m["product_id"]),
             **names.location(m["location_id"]),
             **names.location(m["location_dest_id"], "dest_"),
             "name": m["name"], "reference": m["reference"] or None,
             "origin": m["origin"] or None, "x_event_id": m["x_event_id"] or None,
             "state": m["state"], "product_uom_qty": _qty(m["product_uom_qty"]),
             "quantity": _qty(m["quantity"]), "uom": uom(m["product_uom"]),
             "lots": [lot(i) for i in m["lot_ids"]],
             "picking": names.field("stock.picking", m["picking_id"], "name"),
             "production": names.field("mrp.production",
                                       m["production_id"]
                                       or m["raw_material_production_id"], "name"),
             "role": "finished" if m["production_id"] else (
                 "raw" if m["raw_material_production_id"] else "transfer"),
             "date": m["date"] or None}
            for m in db.rows("stock.move")
        ],
        "productions": [
            {**names.common(p), **names.product(p["product_id"]),
             "name": p["name"], "origin": p["origin"] or None, "state": p["state"],
             "product_qty": _qty(p["product_qty"]),
             "qty_producing": _qty(p["qty_producing"]),
             "qty_produced": _qty(p["qty_produced"]), "uom": uom(p["product_uom_id"]),
             "lot_producing": lot(p["lot_producing_id"])}
            for p in db.rows("mrp.production")
        ],
        "workorders": [
            {**names.common(w), "name": w["name"], "state": w["state"],
             "production": names.field("mrp.production", w["production_id"], "name"),
             "work_center": names.centers.get(w["workcenter_id"]),
             "workcenter": names.field("mrp.workcenter", w["workcenter_id"], "name"),
             "qty_produced": _qty(w["qty_produced"]),
             "qty_production": _qty(w["qty_production"]),
             "date_start": w["date_start"] or None,
             "date_finished": w["date_finished"] or None}
            for w in db.rows("mrp.workorder")
        ],
        "quality_checks": [
            {**names.common(c), **names.product(c["product_id"]), "name": c["name"],
             "quality_state": c["quality_state"], "lot": lot(c["lot_id"]),
             "production": names.field("mrp.production", c["production_id"], "name"),
             "x_event_id": c["x_event_id"] or None,
             "control_date": c["control_date"] or None}
            for c in db.rows("quality.check")
        ],
        "maintenance_requests": [
            {**names.common(r), "name": r["name"],
             "equipment": names.field("maintenance.equipment", r["equipment_id"],
                                      "name"),
             "stage": names.field("maintenance.stage", r["stage_id"], "name"),
             "maintenance_type": r["maintenance_type"],
             "schedule_date": r["schedule_date"] or None,
             "close_date": r["close_date"] or None,
             "x_event_id": r["x_event_id"] or None}
            for r in db.rows("maintenance.request")
        ],
        "productivity": [
            {**names.common(p), "work_center": names.centers.get(p["workcenter_id"]),
             "workcenter": names.field("mrp.workcenter", p["workcenter_id"], "name"),
             "loss": names.field("mrp.workcenter.productivity.loss", p["loss_id"],
                                 "name"),
             "loss_type": p["loss_type"], "date_start": p["date_start"] or None,
             "date_end": p["date_end"] or None, "duration": p["duration"],
             "description": p["description"] or None,
             "x_event_id": p["x_event_id"] or None}
            for p in db.rows("mrp.workcenter.productivity")
        ],
        "lots": [
            {**names.common(lt), **names.product(lt["product_id"]), "name": lt["name"]}
            for lt in db.rows("stock.lot")
        ],
    }
