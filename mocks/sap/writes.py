"""Creates, updates and function imports of the modelled services.

Payloads are checked against the catalogue first (unknown property, wrong
type, overlong string: 400 naming the property), then against the business
rules of ``confirmations``, ``goods_movements`` and ``orders``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mocks.sap import catalogue, confirmations, errors
from mocks.sap.catalogue import EntitySet
from mocks.sap.goods_movements import movement_from_item
from mocks.sap.orders import order_from_master, planned_order
from mocks.sap.state import SapState

Row = dict[str, Any]
CREATABLE = {
    "ProdnOrdConf2", "A_MaterialDocumentHeader", "MaintenanceNotification",
    "A_InspLotUsageDecision", "A_InspectionResult", "A_ProductionOrder_2",
}
UPDATABLE = {"MaintenanceNotification", "A_InspectionLot", "A_InspectionResult"}


def parse_entity(entity: EntitySet, body: Any, path: str = "") -> Row:
    """Validate a JSON payload against ``entity``'s type, deep inserts included."""
    if not isinstance(body, dict):
        raise errors.bad_input(path.rstrip(".") or entity.name,
                               "the body must be a JSON object")
    result: Row = {}
    for name, value in body.items():
        if name == "__metadata":
            continue
        if name in entity.properties:
            result[name] = catalogue.parse_value(
                entity.properties[name], value, f"{path}{name}")
        elif name in entity.navigations:
            target = catalogue.entity_set(entity.service,
                                          entity.navigations[name].target)
            items = value.get("results") if isinstance(value, dict) else value
            if not isinstance(items, list):
                raise errors.bad_input(f"{path}{name}",
                                       "must be {\"results\": [...]} or a list")
            result[name] = [parse_entity(target, item, f"{path}{name}[{index}].")
                            for index, item in enumerate(items)]
        else:
            raise errors.bad_input(
                f"{path}{name}", f"is not a property of {entity.type_name}")
    return result


def create(state: SapState, entity: EntitySet, data: Row, user: str) -> Row:
    """Create one entity; returns the row to answer with."""
    if entity.name not in CREATABLE:
        raise errors.ODataError(
            405, errors.BAD_METHOD, f"Entity set {entity.name} cannot be created")
    if entity.name == "ProdnOrdConf2":
        return confirmations.confirm(state, data, user)
    if entity.name == "A_MaterialDocumentHeader":
        return material_document(state, data, user)
    if entity.name == "MaintenanceNotification":
        return notification(state, data, user)
    if entity.name == "A_InspLotUsageDecision":
        return usage_decision(state, data, user)
    if entity.name == "A_ProductionOrder_2":
        return production_order(state, data)
    return inspection_result(state, data)


def production_order(state: SapState, data: Row) -> Row:
    """Create an order as CO01 does: status CRTD, to be released."""
    master = state.require_master()
    if data.get("ManufacturingOrder"):
        raise errors.bad_input("ManufacturingOrder",
                               "is assigned by SAP (internal number range)")
    material = str(data.get("Material") or "")
    if not material:
        raise errors.required("Material")
    plant_name = "ProductionPlant" if data.get("ProductionPlant") else "Plant"
    plant = str(data.get(plant_name) or "")
    if not plant:
        raise errors.required("ProductionPlant")
    item = master.material(material)
    if plant not in master.plants:
        raise errors.business(errors.UNKNOWN_LOCATION, f"Plant {plant} does not exist",
                              plant_name)
    quantity = data.get("TotalQuantity")
    if quantity is None:
        raise errors.required("TotalQuantity")
    if quantity <= 0:
        raise errors.bad_input("TotalQuantity", f"'{quantity}' must be above zero")
    unit = str(data.get("ProductionUnit") or item.base_unit)
    master.to_base(material, quantity, unit, "ProductionUnit")
    location = str(data.get("StorageLocation") or "")
    if location:
        master.check_location(plant, location, "StorageLocation")
    number = state.book.next("order_number", 1000000)
    while str(number) in state.book.orders:
        number = state.book.next("order_number")
    plan = planned_order(master, str(number), material, plant, quantity, unit,
                         location)
    reservation = f"{state.book.next('reservation', 1000001):010d}"
    order = order_from_master(master, plan, reservation)
    order.status = "CRTD"
    state.book.orders[order.order] = order
    return order.header_row()


def material_document(state: SapState, data: Row, user: str) -> Row:
    master = state.require_master()
    items = data.get("to_MaterialDocumentItem") or []
    if not items:
        raise errors.bad_input("to_MaterialDocumentItem",
                               "a material document needs at least one item")
    movements = [
        movement_from_item(master, item, f"to_MaterialDocumentItem[{index}]")
        for index, item in enumerate(items)
    ]
    for index, movement in enumerate(movements):
        if movement.order:
            state.order(movement.order,
                        f"to_MaterialDocumentItem[{index}].ManufacturingOrder")
    posting_date = data.get("PostingDate") or _midnight(datetime.now(UTC))
    document = state.post(
        movements, posting_date=posting_date,
        header_text=str(data.get("MaterialDocumentHeaderText") or ""),
        movement_code=str(data.get("GoodsMovementCode") or ""),
        origin="api", user=user,
    )
    for movement in movements:
        kind = master.location_kind(movement.plant, movement.storage_location)
        if movement.movement_type == "101" and kind == "quality":
            _inspection_lot(state, movement.material, movement.batch, movement.plant,
                            movement.storage_location, movement.order,
                            movement.quantity, movement.base_unit)
    return document.header_row()


def _inspection_lot(state: SapState, material: str, batch: str, plant: str,
                    location: str, order: str, quantity: Any, unit: str) -> None:
    now = datetime.now(UTC)
    state.book.inspection_lots.append({
        "InspectionLot": f"{state.book.next('inspection_lot', 40000000001):012d}",
        "Material": material, "Batch": batch, "Plant": plant,
        "InspectionLotOrigin": "04", "ManufacturingOrder": order,
        "InspectionLotType": "04", "InspectionLotQuantity": quantity,
        "InspectionLotActualQuantity": quantity,
        "InspectionLotQuantityUnit": unit, "InspLotCreatedOnLocalDate": _midnight(now),
        "InspectionLotHasUsageDecision": False,
        "InspectionLotStorageLocation": location, "ChangedDateTime": now,
    })


def notification(state: SapState, data: Row, user: str) -> Row:
    now = datetime.now(UTC)
    text = str(data.get("NotificationText") or "")
    if not text:
        raise errors.bad_input("NotificationText", "a notification needs a text")
    row = dict(data)
    row.update(
        MaintenanceNotification=f"{state.book.next('notification', 10000001):08d}",
        MaintNotifInternalID=f"{state.book.counters['notification']:012d}",
        NotificationType=data.get("NotificationType") or "M1",
        NotifProcessingPhase="1", CreationDate=_midnight(now),
        CreationTime=now.time().replace(microsecond=0),
        ReportedByUser=data.get("ReportedByUser") or user[:12],
        LastChangeDateTime=now, received_at=now.isoformat(),
        journal_seq=state.book.next("posting"),
    )
    state.book.notifications.append(row)
    return row


def usage_decision(state: SapState, data: Row, user: str) -> Row:
    lot_number = str(data.get("InspectionLot") or "")
    lot = next((lot for lot in state.book.inspection_lots
                if lot["InspectionLot"] == lot_number), None)
    if lot is None:
        raise errors.business("QA/102", f"Inspection lot {lot_number} does not exist",
                              "InspectionLot")
    if lot["InspectionLotHasUsageDecision"]:
        raise errors.business("QA/103", f"Inspection lot {lot_number} already has "
                                        "a usage decision", "InspectionLot")
    now = datetime.now(UTC)
    row = dict(data)
    row.update(InspectionLotUsageDecidedBy=user[:12],
               InspectionLotUsageDecidedOn=_midnight(now), ChangedDateTime=now)
    lot.update(InspectionLotHasUsageDecision=True, ChangedDateTime=now)
    state.book.usage_decisions.append(row)
    return row


def inspection_result(state: SapState, data: Row) -> Row:
    if not any(lot["InspectionLot"] == data.get("InspectionLot")
               for lot in state.book.inspection_lots):
        raise errors.business(
            "QA/102", f"Inspection lot {data.get('InspectionLot')} does not exist",
            "InspectionLot")
    row = dict(data)
    row["ChangedDateTime"] = datetime.now(UTC)
    state.book.inspection_results.append(row)
    return row


def update(row: Row, data: Row) -> None:
    """Merge ``data`` into a stored row (PATCH / MERGE / PUT)."""
    row.update(data)
    now = datetime.now(UTC)
    for stamp in ("LastChangeDateTime", "ChangedDateTime"):
        if stamp in row:
            row[stamp] = now


def function(state: SapState, service: str, name: str, params: dict[str, str],
             user: str) -> tuple[str, Row]:
    """Run a function import; returns ("entity:<set>" or "complex", row)."""
    if name in ("ReleaseOrder", "TechlyCmpltOrder"):
        order = state.order(_param(params, "ManufacturingOrder"), "ManufacturingOrder")
        if name == "ReleaseOrder":
            order.release()
        else:
            order.complete_technically()
        return "complex", {
            "SystemMessageType": "S", "SystemMessageIdentification": "CO",
            "SystemMessageNumber": "093",
            "SystemMessageLongText": f"Order {order.order} saved with status "
                                     f"{order.status}",
        }
    if name == "CancelProdnOrdConf":
        row = confirmations.cancel(state, _param(params, "ConfirmationGroup"),
                                   _param(params, "ConfirmationCount"), user)
        return "entity:ProdnOrdConf2", row
    if name == "Cancel":
        posting = params.get("PostingDate")
        when = catalogue.parse_datetime(_unquote(posting), "PostingDate") \
            if posting else None
        document = state.cancel(_param(params, "MaterialDocumentYear"),
                                _param(params, "MaterialDocument"), when, user)
        return "entity:A_MaterialDocumentHeader", document.header_row()
    raise errors.not_found(name)


def _param(params: dict[str, str], name: str) -> str:
    if name not in params:
        raise errors.bad_input(name, "the parameter is required")
    return _unquote(params[name])


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith("datetime'") and raw.endswith("'"):
        return raw[9:-1]
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
