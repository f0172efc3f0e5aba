"""Reading entity sets: rows from the state, navigation, JSON as SAP sends it.

Rows are dicts of Python values named as SAP names the properties;
``serialize`` turns one into ``{"__metadata": ..., <properties>, <navigation>}``
with every property of the entity type, unset ones at SAP's initial values.
"""

from __future__ import annotations

import json
from functools import cache
from json.encoder import encode_basestring_ascii as _string
from typing import Any

from mocks.sap import catalogue
from mocks.sap.catalogue import EntitySet
from mocks.sap.errors import bad_input, not_found
from mocks.sap.state import SapState

Row = dict[str, Any]
_Positions = dict[str, tuple[int, str]]
_EMPTY_STOCK_KEYS = ("Supplier", "Customer", "WBSElementInternalID", "SDDocument",
                     "SDDocumentItem", "InventorySpecialStockType")


def rows(state: SapState, entity: EntitySet) -> list[Row]:
    """Every row of ``entity`` as the mock currently knows it."""
    book = state.book
    name = entity.name
    orders = list(book.orders.values())
    if name == "A_ProductionOrder_2":
        return [order.header_row() for order in orders]
    if name == "A_ProductionOrderOperation_2":
        return [row for order in orders for row in order.operation_rows()]
    if name == "A_ProductionOrderComponent_2":
        return [row for order in orders for row in order.component_rows()]
    if name == "A_ProductionOrderStatus_2":
        return [row for order in orders for row in order.status_rows()]
    if name == "ProdnOrdConf2":
        return book.confirmations
    if name == "ProdnOrdConfMatlDocItm":
        return _confirmation_items(state)
    if name == "A_MaterialDocumentHeader":
        return [document.header_row() for document in book.documents]
    if name == "A_MaterialDocumentItem":
        return [row for document in book.documents for row in document.item_rows()]
    if name in ("A_MaterialStock", "A_MatlStkInAcctMod"):
        return _stock(state, name)
    if name == "MaintenanceNotification":
        return book.notifications
    if name == "A_InspectionLot":
        return book.inspection_lots
    if name == "A_InspectionResult":
        return book.inspection_results
    if name == "A_InspLotUsageDecision":
        return book.usage_decisions
    return []


def _confirmation_items(state: SapState) -> list[Row]:
    documents = {f"{d.year}/{d.number}": d for d in state.book.documents}
    result = []
    for confirmation in state.book.confirmations:
        for key in confirmation.get("material_documents", []):
            for row in documents[key].item_rows():
                item = {k: v for k, v in row.items()}
                item.update(
                    ConfirmationGroup=confirmation["ConfirmationGroup"],
                    ConfirmationCount=confirmation["ConfirmationCount"],
                    OrderID=confirmation["OrderID"],
                )
                result.append(item)
    return result


def _stock(state: SapState, name: str) -> list[Row]:
    if state.master is None:
        return []
    units = state.units
    if name == "A_MaterialStock":
        return [{"Material": m, "MaterialBaseUnit": u} for m, u in units.items()]
    result = []
    for key, quantity in state.book.ledger.rows():
        row: Row = dict.fromkeys(_EMPTY_STOCK_KEYS, "")
        row.update(
            Material=key.material, Plant=key.plant,
            StorageLocation=key.storage_location, Batch=key.batch,
            InventoryStockType=key.stock_type,
            MaterialBaseUnit=units.get(key.material, ""),
            MatlWrhsStkQtyInMatlBaseUnit=quantity,
        )
        result.append(row)
    return result


def find(state: SapState, entity: EntitySet, keys: dict[str, str]) -> Row:
    for row in rows(state, entity):
        if all(str(row.get(name, "")) == value for name, value in keys.items()):
            return row
    raise not_found(f"{entity.name}({','.join(keys.values())})")


def navigate(state: SapState, entity: EntitySet, row: Row, nav: str) -> list[Row]:
    """Rows reached from ``row`` through navigation property ``nav``."""
    target = catalogue.entity_set(entity.service, entity.navigations[nav].target)
    shared = [k for k in entity.keys if k in target.properties]
    if not entity.navigations[nav].many:
        shared = [k for k in target.keys if k in entity.properties]
    return [
        candidate for candidate in rows(state, target)
        if all(candidate.get(k) == row.get(k) for k in shared)
    ]


@cache
def _initial(service: str, name: str) -> dict[str, Any]:
    """Every property at the value SAP shows when nobody set it, in order."""
    entity = catalogue.entity_set(service, name)
    return {
        prop.name: catalogue.to_wire(catalogue.default(prop))
        for prop in entity.properties.values()
    }


def _overrides(entity: EntitySet, row: Row) -> dict[str, Any]:
    """The row's properties that differ from their initial value, as they
    travel; rows may carry more keys (the oracle's ``journal_seq``,
    ``received_at`` ...), which never travel."""
    initial = _initial(entity.service, entity.name)
    result: dict[str, Any] = {}
    for name, value in row.items():
        if value is None or name not in initial:
            continue
        kind = value.__class__
        if kind is not str and kind is not bool:
            value = catalogue.to_wire(value)
        if value != initial[name]:
            result[name] = value
    return result


def _properties(entity: EntitySet, row: Row) -> dict[str, Any]:
    """Every property of the row as it travels, in the metadata's order."""
    result = _initial(entity.service, entity.name).copy()
    result.update(_overrides(entity, row))
    return result


def _etag(properties: dict[str, Any]) -> str:
    # A digest of every property as it travels; stable while the process runs,
    # which is as long as the mock keeps any entity.
    digest = hash(tuple(properties.values())) & 0xFFFF_FFFF_FFFF_FFFF
    return f"W/\"'{digest:016x}'\""


def etag(entity: EntitySet, row: Row) -> str:
    """The entity's ETag: changes whenever a property changes."""
    return _etag(_properties(entity, row))


def serialize(
    state: SapState,
    entity: EntitySet,
    row: Row,
    base: str,
    select: list[str] | None = None,
    expand: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One row as SAP's JSON shows it."""
    uri = f"{base}{entity.name}{catalogue.key_predicate(entity, row)}"
    properties = _properties(entity, row)
    result: dict[str, Any] = {
        "__metadata": {
            "id": uri, "uri": uri,
            "type": f"{entity.service}.{entity.type_name}",
            "etag": _etag(properties),
        }
    }
    if select:
        result.update((name, properties[name]) for name in select)
    else:
        result.update(properties)
    for nav_name, nav in entity.navigations.items():
        if select and nav_name not in select and nav_name not in (expand or {}):
            continue
        if expand is not None and nav_name in expand:
            target = catalogue.entity_set(entity.service, nav.target)
            found = navigate(state, entity, row, nav_name)
            inner = [serialize(state, target, r, base, None, expand[nav_name])
                     for r in found]
            result[nav_name] = {"results": inner} if nav.many else (
                inner[0] if inner else None)
        else:
            result[nav_name] = {"__deferred": {"uri": f"{uri}/{nav_name}"}}
    return result


@cache
def _encoded(service: str, name: str) -> tuple[list[str], _Positions, str]:
    """Pre-encoded JSON of one entity type: every property at its initial
    value in order, each property's position and name with its colon, and
    the deferred navigations (``{uri}`` stands for the entity's URI)."""
    initial = _initial(service, name)
    entity = catalogue.entity_set(service, name)
    at_initial = [f"{json.dumps(key)}:{json.dumps(value)}"
                  for key, value in initial.items()]
    names = {key: (index, f"{json.dumps(key)}:") for index, key in enumerate(initial)}
    deferred = "".join(
        f',"{nav}":{{"__deferred":{{"uri":{{uri}}/{nav}"}}}}'
        for nav in entity.navigations
    )
    return at_initial, names, deferred


def entity_json(entity: EntitySet, row: Row, base: str) -> tuple[bytes, str, str]:
    """``{"d": ...}`` of one row with deferred navigations, as a create
    answers: (body, uri, etag). The same text as ``serialize`` gives, built
    from pre-encoded pieces because creates are the mock's hot path."""
    at_initial, names, deferred = _encoded(entity.service, entity.name)
    overrides = _overrides(entity, row)
    properties = _initial(entity.service, entity.name).copy()
    properties.update(overrides)
    etag = _etag(properties)
    uri = f"{base}{entity.name}{catalogue.key_predicate(entity, row)}"
    encoded_uri = _string(uri)
    head = (f'{{"d":{{"__metadata":{{"id":{encoded_uri},"uri":{encoded_uri},'
            f'"type":"{entity.service}.{entity.type_name}","etag":{_string(etag)}}},')
    parts = at_initial.copy()
    for key, value in overrides.items():
        index, name = names[key]
        parts[index] = name + _value(value)
    tail = deferred.replace("{uri}", encoded_uri[:-1]) if deferred else ""
    return (head + ",".join(parts) + tail + "}}").encode(), uri, etag


def _value(value: Any) -> str:
    kind = value.__class__
    if kind is str:
        return _string(value)
    if kind is bool:
        return "true" if value else "false"
    return json.dumps(value)


def parse_expand(entity: EntitySet, text: str | None) -> dict[str, Any]:
    """``$expand=a/b,c`` -> ``{"a": {"b": {}}, "c": {}}`` (names checked)."""
    tree: dict[str, Any] = {}
    if not text:
        return tree
    for path in (p.strip() for p in text.split(",") if p.strip()):
        current, node = entity, tree
        for part in path.split("/"):
            if part not in current.navigations:
                raise bad_input("$expand", f"'{part}' is not a navigation of "
                                           f"{current.name}")
            node = node.setdefault(part, {})
            current = catalogue.entity_set(current.service,
                                           current.navigations[part].target)
    return tree
