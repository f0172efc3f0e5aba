"""Routing by the authority table: which ERP hears of which floor fact.

| event | SAP | Odoo |
|---|---|---|
| operation.confirmed | confirmation (``ProdnOrdConf2``) | (gap) ``mrp.workorder`` |
| material.consumed | movement type 261 | (gap) raw ``stock.move`` |
| output.received | movement type 101 | (gap) finished ``stock.move`` |
| scan.recorded | 311 when the SAP storage locations differ | internal transfer |
| scrap.declared | 551 when a storage location is named | (gap) ``stock.scrap`` |
| maintenance.requested | ``MaintenanceNotification`` | ``maintenance.request`` |
| quality.inspected | — (the quality app decides) | ``quality.check`` |
| downtime.started / ended | — | ``mrp.workcenter.productivity`` |
| order.started, shift.* | — (SAP is authoritative for orders) | — |

A scan between two bins of one SAP storage location is Odoo's business only;
that check needs the master data and happens in the SAP mapping, which answers
"nothing to post" for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.payloads import TYPE_PREFIX

_SAP = {
    "operation.confirmed.v1",
    "material.consumed.v1",
    "output.received.v1",
    "scan.recorded.v1",
    "scrap.declared.v1",
    "maintenance.requested.v1",
}
# Known gap (issue 6): by the authority table Odoo also hears of
# confirmations (``mrp.workorder``), consumption and output (raw and finished
# moves) and scrap (``stock.scrap``); see ``gateway.odoo`` for why they are
# not routed there yet. SAP's inspection lot usage decision (optional in
# docs/INTERFACES.md) is not posted either.
_ODOO = {
    "scan.recorded.v1",
    "maintenance.requested.v1",
    "quality.inspected.v1",
    "downtime.started.v1",
    "downtime.ended.v1",
}
ROUTES: dict[str, frozenset[str]] = {
    "sap": frozenset(TYPE_PREFIX + name for name in _SAP),
    "odoo": frozenset(TYPE_PREFIX + name for name in _ODOO),
}


def destinations_for(event_type: str, enabled: Sequence[str]) -> tuple[str, ...]:
    """The enabled destinations that must receive events of ``event_type``."""
    return tuple(name for name in enabled if event_type in ROUTES.get(name, ()))
