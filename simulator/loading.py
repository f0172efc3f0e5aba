"""Reading a plant model from YAML and checking it against its master data.

Every problem is reported with its YAML path, the bad value and the rule:
``lines[2].machines[0].mttr: '-5m' must be a positive duration; ...``. A
model either loads completely or raises ``PlantModelError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from contracts import ContractError, MasterData, UnknownMasterData, load_master_data
from contracts.errors import problems_from
from simulator.durations import format_duration
from simulator.errors import PlantModelError
from simulator.model import PlantFile, PlantSpec

Problems = list[tuple[str, str]]
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextDates(_BaseLoader):  # type: ignore[valid-type,misc]
    """Leaves dates as text, so that pydantic checks them with their path.

    (libyaml's parser when PyYAML has it: large multi-plant models load in a
    fraction of the time.)
    """


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class PlantModel:
    """A validated plant model with the master data it names."""

    source: Path
    master_path: Path
    master: MasterData
    plants: tuple[PlantSpec, ...]
    start: Any = None
    timezones: dict[str, str] = field(default_factory=dict)

    def timezone(self, plant: str) -> ZoneInfo:
        return ZoneInfo(self.timezones[plant])


def master_data_path(model: PlantModel) -> Path:
    """The master-data file the plant model names, resolved."""
    return model.master_path


def shift_hours(model: PlantModel) -> float:
    """Length in hours of the first plant's first shift of a day."""
    first = model.plants[0].calendar.day_shifts()[0]
    return first.length / 3600.0


def load_plant_model(path: str | Path) -> PlantModel:
    """Read, validate and cross-check a plant model file."""
    file = Path(path)
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_TextDates)
    except OSError as exc:
        raise PlantModelError(
            [("(file)", f"{file}: cannot read: {exc.strerror}")]
        ) from None
    except UnicodeDecodeError:
        raise PlantModelError([("(file)", f"{file}: is not UTF-8 text")]) from None
    except yaml.YAMLError as exc:
        raise PlantModelError([("(file)", f"{file}: not valid YAML: {exc}")]) from None
    return parse_plant_model(raw, file)


def parse_plant_model(raw: Any, source: Path) -> PlantModel:
    """Validate a parsed YAML document; ``source`` anchors relative paths."""
    if not isinstance(raw, dict):
        raise PlantModelError([("(root)", f"{source}: must be a YAML mapping")])
    single = "plants" not in raw
    document = _as_multi(raw) if single else raw
    try:
        parsed = PlantFile.model_validate(document)
    except ValidationError as exc:
        raise PlantModelError(
            [(where, _unprefix(text, single)) for where, text in problems_from(exc)]
        ) from None

    master_path = (source.parent / parsed.master_data).resolve()
    try:
        master = load_master_data(master_path)
    except ContractError as exc:
        message = f"master_data: {parsed.master_data!r} cannot be loaded: {exc}"
        raise PlantModelError([("master_data", message)]) from None

    problems: Problems = []
    timezones: dict[str, str] = {}
    codes = [plant.code for plant in parsed.plants]
    for index, plant in enumerate(parsed.plants):
        prefix = "" if single else f"plants[{index}]."
        if codes.count(plant.code) > 1:
            problems.append(
                (f"{prefix}code", f"{prefix}code: {plant.code!r} appears twice")
            )
        zone = _check_plant(plant, master, prefix, problems)
        timezones[plant.code] = zone
    if problems:
        raise PlantModelError(problems)
    return PlantModel(
        source=source.resolve(),
        master_path=master_path,
        master=master,
        plants=tuple(parsed.plants),
        start=parsed.start,
        timezones=timezones,
    )


def _as_multi(raw: dict[str, Any]) -> dict[str, Any]:
    outer: dict[str, Any] = {
        key: raw[key] for key in ("master_data", "start") if key in raw
    }
    plant = {key: value for key, value in raw.items() if key not in outer}
    return {**outer, "plants": [plant]}


def _unprefix(text: str, single: bool) -> str:
    if single and text.startswith("plants[0]."):
        return text.removeprefix("plants[0].")
    return text


def _check_plant(
    plant: PlantSpec, master: MasterData, prefix: str, problems: Problems
) -> str:
    def fail(path: str, value: object, rule: str) -> None:
        where = prefix + path
        problems.append((where, f"{where}: {str(value)!r} {rule}"))

    try:
        known = master.plant(plant.code)
    except UnknownMasterData:
        fail("code", plant.code, "is not a plant in the master data")
        return "UTC"
    zone = plant.timezone or known.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        fail("timezone", zone, "is not an IANA time zone, e.g. 'Europe/Berlin'")
        zone = "UTC"

    locations = {
        loc.code for loc in master.storage_locations if loc.plant == known.code
    }
    for role, code in plant.storage.model_dump().items():
        if code not in locations:
            fail(f"storage.{role}", code, "is not a storage location of the plant")

    _check_calendar(plant, fail)
    centers = {wc.code for wc in master.work_centers if wc.plant == known.code}
    line_codes = [line.code for line in plant.lines]
    shortest = _shortest_window(plant)
    equipment = {
        wc.code: set(wc.equipment)
        for wc in master.work_centers
        if wc.plant == known.code
    }
    for index, line in enumerate(plant.lines):
        for number, machine in enumerate(line.machines):
            allowed = equipment.get(line.work_center)
            if allowed and machine.equipment not in allowed:
                fail(
                    f"lines[{index}].machines[{number}].equipment",
                    machine.equipment,
                    f"is not equipment of work center {line.work_center!r}: "
                    f"{sorted(allowed)}",
                )
        if line.work_center not in centers:
            fail(
                f"lines[{index}].work_center",
                line.work_center,
                "is not a work center of the plant in the master data",
            )
        if line_codes.count(line.code) > 1:
            fail(f"lines[{index}].code", line.code, "appears twice")
        slowest = max(
            range(len(line.machines)), key=lambda n: line.machines[n].cycle_time
        )
        cycle = line.machines[slowest].cycle_time
        if cycle * 8 + (line.changeover or 0) >= shortest:
            fail(
                f"lines[{index}].machines[{slowest}].cycle_time",
                format_duration(cycle),
                "is too long: eight cycles and the changeover must fit in the "
                f"shortest working period ({format_duration(shortest)})",
            )
    for index, product in enumerate(plant.products):
        _check_product(product, index, plant, master, fail)
    return zone


def _check_calendar(plant: PlantSpec, fail: Any) -> None:
    total = sum(shift.length for shift in plant.calendar.day_shifts())
    if total > 24 * 3600:
        fail("calendar.shifts", f"{total / 3600:g}h", "must not exceed 24h a day")


def _shortest_window(plant: PlantSpec) -> float:
    windows = []
    for shift in plant.calendar.day_shifts():
        edge = 0.0
        for item in sorted(shift.breaks, key=lambda b: b.after):
            windows.append(item.after - edge)
            edge = item.after + item.duration
        windows.append(shift.length - edge)
    return min(windows)


def _check_product(
    product: Any, index: int, plant: PlantSpec, master: MasterData, fail: Any
) -> None:
    path = f"products[{index}]"
    try:
        material = master.material(product.material)
    except UnknownMasterData:
        fail(
            f"{path}.material", product.material, "is not a material in the master data"
        )
        return
    lines = {line.code: line for line in plant.lines}
    line = lines.get(product.line)
    if line is None:
        fail(f"{path}.line", product.line, f"is not one of {sorted(lines)}")
    if line is not None and product.per_shift > 99 * line.pallet_size:
        fail(f"{path}.per_shift", product.per_shift, "needs more than 99 pallets")
    centers = {wc.code for wc in master.work_centers if wc.plant == plant.code}
    reasons = {reason.code for reason in master.reasons}
    for number, operation in enumerate(product.routing):
        where = f"{path}.routing[{number}]"
        for reason in operation.scrap.reasons:
            if operation.scrap.probability and reason not in reasons:
                fail(
                    f"{where}.scrap.reasons",
                    reason,
                    f"is not a reason code of the master data: {sorted(reasons)}",
                )
        if line is None or line.work_center not in centers:
            continue
        if operation.work_center != line.work_center:
            fail(
                f"{where}.work_center",
                operation.work_center,
                f"must be {line.work_center!r}, the work center of line {line.code!r}",
            )
    for number, item in enumerate(product.bom):
        where = f"{path}.bom[{number}]"
        try:
            master.material(item.component)
            master.to_base(item.component, item.quantity_per_unit, item.unit)
        except UnknownMasterData as exc:
            fail(f"{where}.component", item.component, f"is unusable: {exc}")
    if product.serials and material.base_unit != "PC":
        fail(f"{path}.serials", product.serials, "needs a material counted in PC")
