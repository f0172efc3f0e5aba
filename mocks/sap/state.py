"""Everything the SAP mock remembers, behind one lock.

``SapState`` holds master data in SAP codes, orders, stock, material
documents, confirmations, the post-processing list (COGI), maintenance
notifications and inspection lots. Every change happens under ``lock`` so
that concurrent postings never lose an update; ``snapshot`` is what the
oracle reads from ``/_mock/state``.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from contracts import MasterData
from mocks.sap import errors
from mocks.sap.documents import MaterialDocument, Origin, iso_date
from mocks.sap.goods_movements import Movement
from mocks.sap.masterdata import SapMaster
from mocks.sap.orders import ProductionOrder, order_from_master
from mocks.sap.stock import STOCK_TYPE_NAMES, StockKey, StockLedger

_FIRST_DOCUMENT = 4900000000


@dataclass
class ParkedMovement:
    """A goods movement that failed during a confirmation (SAP's COGI)."""

    id: int
    movement: Movement
    message: str
    confirmation_group: str
    confirmation_count: str
    posting_date: datetime
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def snapshot(self) -> dict[str, Any]:
        m = self.movement
        return {
            "id": self.id,
            "ManufacturingOrder": m.order,
            "order": m.order,
            "Material": m.material,
            "material": m.material,
            "Plant": m.plant,
            "plant": m.plant,
            "StorageLocation": m.storage_location,
            "storage_location": m.storage_location,
            "Batch": m.batch,
            "batch": m.batch,
            "GoodsMovementType": m.movement_type,
            "movement_type": m.movement_type,
            "Quantity": format(m.quantity, "f"),
            "quantity": format(m.quantity, "f"),
            "Unit": m.base_unit,
            "unit": m.base_unit,
            "message": self.message,
            "ConfirmationGroup": self.confirmation_group,
            "ConfirmationCount": self.confirmation_count,
            "created_at": self.created_at.isoformat(),
        }


@dataclass
class Book:
    """The mutable business data; copied whole to roll back a changeset."""

    ledger: StockLedger = field(default_factory=StockLedger)
    orders: dict[str, ProductionOrder] = field(default_factory=dict)
    documents: list[MaterialDocument] = field(default_factory=list)
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    parked: list[ParkedMovement] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    inspection_lots: list[dict[str, Any]] = field(default_factory=list)
    inspection_results: list[dict[str, Any]] = field(default_factory=list)
    usage_decisions: list[dict[str, Any]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def next(self, name: str, start: int = 1) -> int:
        value = self.counters.get(name, start - 1) + 1
        self.counters[name] = value
        return value


class SapState:
    """The mock's business state and the rules that change it."""

    def __init__(
        self,
        master: MasterData | None = None,
        *,
        over_tolerance: Decimal = Decimal("0.10"),
        closed_before: date | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.over_tolerance = over_tolerance
        self.closed_before = closed_before
        self.master_data = master
        self.master: SapMaster | None = None
        self.book = Book()
        if master is not None:
            self.load(master)

    # master data -------------------------------------------------------------

    def load(self, master: MasterData) -> None:
        """Replace everything with ``master``: its orders and opening stock."""
        with self.lock:
            self.master_data = master
            self.master = SapMaster(master)
            self.book = Book()
            for order in master.orders:
                reservation = f"{self.book.next('reservation', 1000001):010d}"
                record = order_from_master(self.master, order, reservation)
                self.book.orders[record.order] = record
            for balance in master.opening_stock:
                self._open_stock(self.master, balance.plant, balance.material,
                                 balance.storage_location, balance.lot or "",
                                 balance.quantity)

    def _open_stock(self, master: SapMaster, plant: str, material: str,
                    location: str, batch: str, quantity: Decimal) -> None:
        sap_material = master.sap_material(material)
        item = master.material(sap_material)
        key = StockKey(sap_material, master.sap_plant(plant),
                       master.sap_location(plant, location), batch, "01")
        self.book.ledger.apply([(key, quantity)], {sap_material: item.base_unit})

    def reset(self) -> None:
        with self.lock:
            if self.master_data is not None:
                self.load(self.master_data)
            else:
                self.book = Book()

    def require_master(self) -> SapMaster:
        if self.master is None:
            raise errors.ODataError(
                503, errors.SERVICE_DOWN,
                "No master data loaded; POST /_mock/master-data first",
            )
        return self.master

    @property
    def units(self) -> dict[str, str]:
        """Base unit (SAP code) per SAP material number."""
        return self.require_master().base_units

    def sap_material(self, material: str) -> str:
        """SAP's material number for a plant's material code (or itself)."""
        master = self.master
        return master.sap_material(material) if master is not None else material

    # rollback for $batch change sets ------------------------------------------

    def checkpoint(self) -> Book:
        return copy.deepcopy(self.book)

    def restore(self, book: Book) -> None:
        self.book = book

    # postings ------------------------------------------------------------------

    def check_period(self, posting_date: datetime, target: str = "PostingDate") -> None:
        if self.closed_before is None or posting_date.date() >= self.closed_before:
            return
        raise closed_period(posting_date, target)

    def post(
        self,
        movements: list[Movement],
        *,
        posting_date: datetime,
        header_text: str = "",
        movement_code: str = "",
        origin: Origin = "api",
        user: str = "",
        reverses: tuple[str, str] | None = None,
        applied: bool = False,
    ) -> MaterialDocument:
        """Post one material document: all its movements or none.

        ``applied`` says the caller has already changed the stock.
        """
        if not applied:
            self.check_period(posting_date)
            changes = [change for m in movements for change in m.changes()]
            self.book.ledger.apply(changes, self.units)
        number = self.book.next("material_document", _FIRST_DOCUMENT)
        document = MaterialDocument(
            number=str(number), year=str(posting_date.year),
            posting_date=posting_date, header_text=header_text,
            movement_code=movement_code, origin=origin, user=user,
            movements=movements, reverses=reverses,
            posting_seq=self.book.next("posting"),
        )
        self.book.documents.append(document)
        self._withdrawn(movements)
        return document

    def _withdrawn(self, movements: list[Movement]) -> None:
        for movement in movements:
            order = self.book.orders.get(movement.order)
            if order is None or movement.movement_type != "261":
                continue
            sign = -1 if movement.reverses else 1
            for component in order.components:
                if component.material == movement.material:
                    component.withdrawn += sign * movement.quantity
                    break

    def document(self, year: str, number: str) -> MaterialDocument:
        for document in self.book.documents:
            if document.number == number and document.year == year:
                return document
        raise errors.business(
            errors.NOT_FOUND, f"Material document {number} {year} does not exist",
            "MaterialDocument",
        )

    def cancel(self, year: str, number: str, posting_date: datetime | None,
               user: str = "") -> MaterialDocument:
        """Reverse every item of a document (SAP's MIGO cancellation)."""
        original = self.document(year, number)
        if original.cancelled or original.reverses:
            raise errors.business(
                errors.ALREADY_REVERSED,
                f"Material document {number} {year} is already cancelled "
                "or is itself a cancellation",
                "MaterialDocument",
            )
        reversal = self.post(
            [movement.reversed() for movement in original.movements],
            posting_date=posting_date or original.posting_date,
            header_text=original.header_text, movement_code=original.movement_code,
            origin="cancellation", user=user, reverses=(year, number),
        )
        original.cancelled = True
        return reversal

    def order(self, number: str, target: str = "OrderID") -> ProductionOrder:
        found = self.book.orders.get(number)
        if found is None:
            raise errors.business(
                errors.UNKNOWN_ORDER, f"Order {number} does not exist", target
            )
        return found

    # oracle view ------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            book = self.book
            stock = [
                {
                    "Material": key.material, "Plant": key.plant,
                    "StorageLocation": key.storage_location, "Batch": key.batch,
                    "InventoryStockType": key.stock_type,
                    "InventoryStockTypeName": STOCK_TYPE_NAMES[key.stock_type],
                    "Quantity": format(quantity, "f"),
                    "MaterialBaseUnit": self.units.get(key.material, ""),
                }
                for key, quantity in book.ledger.rows()
            ] if self.master else []
            return {
                "stock": stock,
                "orders": [_order_snapshot(order) for order in book.orders.values()],
                "confirmations": [_plain(row) for row in book.confirmations],
                "material_documents": [d.snapshot() for d in book.documents],
                "post_processing": [entry.snapshot() for entry in book.parked],
                "notifications": [_plain(row) for row in book.notifications],
                "inspection_lots": [_plain(row) for row in book.inspection_lots],
                "inspection_results": [_plain(r) for r in book.inspection_results],
                "usage_decisions": [_plain(row) for row in book.usage_decisions],
            }


def closed_period(
    posting_date: datetime, target: str = "PostingDate"
) -> errors.ODataError:
    return errors.business(
        errors.CLOSED_PERIOD,
        f"Posting only possible in the open periods; period "
        f"{posting_date.year}/{posting_date.month:02d} is closed",
        target,
    )


def _order_snapshot(order: ProductionOrder) -> dict[str, Any]:
    row = _plain(order.header_row())
    row["OrderStatus"] = order.status
    row["operations"] = [
        {
            "OrderOperation": op.operation, "WorkCenter": op.work_center,
            "ConfirmedYield": format(op.confirmed_yield, "f"),
            "ConfirmedScrap": format(op.confirmed_scrap, "f"),
            "IsFinallyConfirmed": op.final,
        }
        for op in order.operations
    ]
    row["components"] = [_plain(c) for c in order.component_rows()]
    return row


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Python values as JSON: decimals as strings, dates as ISO text."""
    result: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, Decimal):
            result[key] = format(value, "f")
        elif isinstance(value, datetime):
            result[key] = (
                iso_date(value) if key.endswith("Date") else value.isoformat()
            )
        elif isinstance(value, date):
            result[key] = value.isoformat()
        elif hasattr(value, "isoformat"):
            result[key] = value.isoformat()
        elif isinstance(value, list | dict | str | int | float | bool) or value is None:
            result[key] = value
        else:
            result[key] = str(value)
    return result
