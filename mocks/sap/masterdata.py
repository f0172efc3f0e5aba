"""Master data in SAP's codes.

PlantTwin's master data (``contracts.MasterData``) names plants, materials,
units, storage locations and work centers in the plant's own codes and gives
each its SAP code (``sap_plant``, ``sap_material``, ``sap``). The mock speaks
only SAP codes on the wire; this module maps between the two and converts
entry units to a material's base unit through its conversions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from contracts import MasterData, Material, UnknownMasterData
from mocks.sap import errors
from mocks.sap.errors import ODataError


@dataclass(frozen=True)
class SapMaterial:
    material: Material
    sap_material: str
    base_unit: str  # SAP unit code
    batch_managed: bool


class SapMaster:
    """Lookups by SAP code over one ``MasterData``."""

    def __init__(self, master: MasterData) -> None:
        self.master = master
        self.plants = {plant.sap_plant: plant for plant in master.plants}
        self._plant_code = {plant.code: plant.sap_plant for plant in master.plants}
        self.units = {unit.sap: unit.code for unit in master.units}
        self._unit_sap = {unit.code: unit.sap for unit in master.units}
        self.materials = {
            item.sap_material: SapMaterial(
                item, item.sap_material, self._unit_sap[item.base_unit],
                item.batch_managed,
            )
            for item in master.materials
        }
        self.base_units = {code: m.base_unit for code, m in self.materials.items()}
        self._material_sap = {item.code: item.sap_material for item in master.materials}
        self.locations = {
            (self._plant_code[loc.plant], loc.sap): loc
            for loc in master.storage_locations
        }
        self._location_sap = {
            (loc.plant, loc.code): loc.sap for loc in master.storage_locations
        }
        self.variance_reasons = {reason.sap for reason in master.reasons}
        self._work_center_sap = {
            (center.plant, center.code): center.sap for center in master.work_centers
        }

    # plant code -> SAP code ---------------------------------------------------

    def sap_plant(self, plant: str) -> str:
        return self._plant_code.get(plant, plant)

    def sap_material(self, material: str) -> str:
        return self._material_sap.get(material, material)

    def sap_unit(self, unit: str) -> str:
        return self._unit_sap.get(unit, unit)

    def sap_location(self, plant: str, location: str) -> str:
        return self._location_sap.get((plant, location), location)

    def sap_work_center(self, plant: str, center: str) -> str:
        return self._work_center_sap.get((plant, center), center)

    # checks on SAP codes --------------------------------------------------------

    def material(self, sap_material: str, target: str = "Material") -> SapMaterial:
        found = self.materials.get(sap_material)
        if found is None:
            raise errors.business(
                errors.UNKNOWN_MATERIAL,
                f"Material {sap_material} does not exist",
                target,
            )
        return found

    def check_location(self, plant: str, location: str, target: str) -> None:
        if plant not in self.plants:
            raise errors.business(
                errors.UNKNOWN_LOCATION, f"Plant {plant} does not exist", "Plant"
            )
        if (plant, location) not in self.locations:
            raise errors.business(
                errors.UNKNOWN_LOCATION,
                f"Storage location {plant} {location} does not exist",
                target,
            )

    def location_kind(self, plant: str, location: str) -> str:
        found = self.locations.get((plant, location))
        return found.kind if found else ""

    def to_base(
        self, sap_material: str, quantity: Decimal, sap_unit: str, target: str
    ) -> Decimal:
        """``quantity`` in ``sap_unit`` as the material's base unit quantity."""
        item = self.material(sap_material)
        if not sap_unit or sap_unit == item.base_unit:
            return quantity
        unit = self.units.get(sap_unit)
        try:
            if unit is None:
                raise UnknownMasterData(sap_unit)
            return self.master.to_base(item.material.code, quantity, unit)
        except UnknownMasterData:
            raise unknown_unit(sap_unit, sap_material, target) from None


def unknown_unit(sap_unit: str, sap_material: str, target: str) -> ODataError:
    return errors.business(
        errors.UNKNOWN_UNIT,
        f"Unit of measure {sap_unit} is not defined for material {sap_material}",
        target,
    )
