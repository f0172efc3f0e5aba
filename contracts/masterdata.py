"""Master data shared by the mocks, the gateway's mapping tables and the oracle.

One YAML file (``scenarios/masterdata/*.yaml``) describes plants, units,
materials, storage locations, work centers and, optionally, the production
orders SAP has released. Every part loads it from the same file so that they
agree; the oracle converts units with it and never with gateway code.

How the two ERPs name the same things:

| here | SAP S/4HANA | Odoo |
|---|---|---|
| plant | plant (``WERKS``, 4 chars) | company (``res.company``) |
| material | material (``MATNR``) | product (``product.product``, ``default_code``) |
| unit | unit of measure (``MEINS``) | ``uom.uom`` |
| storage location | storage location (``LGORT``, 4 chars) | ``stock.location`` |
| lot | batch (``CHARG``, 10 chars) | ``stock.lot`` |
| work center | work center (``ARBPL``, 8 chars) | ``mrp.workcenter`` |
| order | production order (``AUFNR``, 12 chars) | ``mrp.production`` |
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.errors import ContractError, PlantTwinError, problems_from
from contracts.quantities import Qty, UnitCode

_T = TypeVar("_T")
Tracking = Literal["none", "lot", "serial"]
LocationKind = Literal["raw", "staging", "finished", "quality", "blocked"]
PositiveFactor = Annotated[Qty, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Plant(_Model):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,10}$")]
    name: str = ""
    timezone: str = "UTC"
    sap_plant: Annotated[str, Field(min_length=1, max_length=4)]
    odoo_company: str


class Unit(_Model):
    """A unit of measure and its names in each ERP, with Odoo's rounding."""

    code: UnitCode
    sap: Annotated[str, Field(min_length=1, max_length=3)]
    odoo: str
    rounding: PositiveFactor = Decimal("0.001")


class Conversion(_Model):
    """``1 unit = factor × base unit`` for one material."""

    unit: UnitCode
    factor: PositiveFactor


class Material(_Model):
    code: Annotated[str, Field(min_length=1, max_length=40)]
    description: Annotated[str, Field(max_length=40)] = ""
    base_unit: UnitCode
    sap_material: Annotated[str, Field(min_length=1, max_length=40)]
    odoo_product: str
    tracking: Tracking = "none"
    conversions: list[Conversion] = Field(default_factory=list)

    @property
    def batch_managed(self) -> bool:
        """SAP needs a batch on every movement of this material."""
        return self.tracking != "none"


class StorageLocation(_Model):
    plant: str
    code: Annotated[str, Field(min_length=1, max_length=20)]
    kind: LocationKind
    sap: Annotated[str, Field(min_length=1, max_length=4)]
    odoo: str


class WorkCenter(_Model):
    plant: str
    code: Annotated[str, Field(min_length=1, max_length=20)]
    sap: Annotated[str, Field(min_length=1, max_length=8)]
    odoo: str
    equipment: list[str] = Field(default_factory=list)


class ReasonCode(_Model):
    """A plant's scrap or variance reason and the ERPs' keys for it.

    SAP's variance reason (``VarianceReasonCode``) is a four-character key
    customised per plant; Odoo takes free text.
    """

    code: Annotated[str, Field(min_length=1, max_length=40)]
    sap: Annotated[str, Field(min_length=1, max_length=4)]
    description: str = ""


class OrderOperation(_Model):
    operation: Annotated[str, Field(pattern=r"^\d{4}$")]
    work_center: str
    confirmed: bool = True


class OrderComponent(_Model):
    component: str
    quantity_per_unit: Qty
    unit: UnitCode
    storage_location: str
    backflush: bool = False


class Order(_Model):
    """A production order as SAP released it to the plant."""

    order: Annotated[str, Field(min_length=1, max_length=12)]
    plant: str
    material: str
    quantity: Qty
    unit: UnitCode
    storage_location: str
    operations: list[OrderOperation] = Field(min_length=1)
    components: list[OrderComponent] = Field(default_factory=list)


class StockBalance(_Model):
    """Stock on hand before the run (SAP: initial entry, movement type 561;
    Odoo: an inventory adjustment of ``stock.quant``)."""

    plant: str
    material: str
    storage_location: str
    lot: str | None = None
    quantity: Qty


class MasterData(_Model):
    """Everything the ERPs and the integration path must agree on."""

    plants: list[Plant] = Field(min_length=1)
    units: list[Unit] = Field(min_length=1)
    materials: list[Material] = Field(min_length=1)
    storage_locations: list[StorageLocation] = Field(default_factory=list)
    work_centers: list[WorkCenter] = Field(default_factory=list)
    reasons: list[ReasonCode] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    opening_stock: list[StockBalance] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> MasterData:
        plants = {plant.code for plant in self.plants}
        units = {unit.code for unit in self.units}
        for index, material in enumerate(self.materials):
            if material.base_unit not in units:
                raise ValueError(
                    f"materials[{index}].base_unit: {material.base_unit!r} "
                    f"is not a unit in units"
                )
        for index, location in enumerate(self.storage_locations):
            if location.plant not in plants:
                raise ValueError(
                    f"storage_locations[{index}].plant: {location.plant!r} "
                    f"is not a plant in plants"
                )
        return self

    # Lookups -----------------------------------------------------------------

    def plant(self, code: str) -> Plant:
        return _find(self.plants, "code", code, "plant")

    def material(self, code: str) -> Material:
        return _find(self.materials, "code", code, "material")

    def unit(self, code: str) -> Unit:
        return _find(self.units, "code", code, "unit")

    def reason(self, code: str) -> ReasonCode:
        return _find(self.reasons, "code", code, "reason")

    def storage_location(self, plant: str, code: str) -> StorageLocation:
        for location in self.storage_locations:
            if location.plant == plant and location.code == code:
                return location
        raise UnknownMasterData(f"storage location {code!r} is not known in {plant!r}")

    def work_center(self, plant: str, code: str) -> WorkCenter:
        for center in self.work_centers:
            if center.plant == plant and center.code == code:
                return center
        raise UnknownMasterData(f"work center {code!r} is not known in {plant!r}")

    def order(self, number: str) -> Order:
        return _find(self.orders, "order", number, "order")

    def to_base(self, material: str, quantity: Decimal, unit: str) -> Decimal:
        """Convert ``quantity`` in ``unit`` to the material's base unit.

        Raises ``UnknownMasterData`` when the material has no conversion for
        ``unit``: a master-data gap, which real ERPs reject too.
        """
        item = self.material(material)
        if unit == item.base_unit:
            return quantity
        for conversion in item.conversions:
            if conversion.unit == unit:
                return quantity * conversion.factor
        raise UnknownMasterData(
            f"material {material!r} has no conversion from {unit!r} "
            f"to its base unit {item.base_unit!r}"
        )

    def round_for(self, unit: str, quantity: Decimal) -> Decimal:
        """Round as Odoo rounds a quantity in ``unit`` (half up to the
        unit's rounding precision)."""
        step = self.unit(unit).rounding
        return (quantity / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step

    def with_plan(
        self, orders: list[Order], opening_stock: list[StockBalance]
    ) -> MasterData:
        """A copy that also carries a twin's planned orders and opening stock."""
        known = {order.order for order in self.orders}
        extra = [order for order in orders if order.order not in known]
        return self.model_copy(
            update={
                "orders": [*self.orders, *extra],
                "opening_stock": [*self.opening_stock, *opening_stock],
            }
        )


class UnknownMasterData(PlantTwinError, KeyError):
    """A code is not in the master data."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown master data"


def _find(items: list[_T], attribute: str, value: str, what: str) -> _T:
    for item in items:
        if getattr(item, attribute) == value:
            return item
    raise UnknownMasterData(f"{what} {value!r} is not in the master data")


def parse_master_data(raw: Any, source: str = "master data") -> MasterData:
    """Validate master data; errors name the YAML path."""
    try:
        return MasterData.model_validate(raw)
    except ValidationError as exc:
        problems = [(path, f"{source}: {text}") for path, text in problems_from(exc)]
        raise ContractError(problems) from None


def load_master_data(path: str | Path) -> MasterData:
    """Read and validate a master-data YAML file."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractError(
            [("(file)", f"{file}: cannot read: {exc.strerror}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ContractError([("(file)", f"{file}: not valid YAML: {exc}")]) from None
    return parse_master_data(raw, source=str(file))
