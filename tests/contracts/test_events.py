"""The plant-event contract: valid events of every type, path-precise errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

import contracts
from contracts import ContractError, PlantEvent, make_event, parse_batch, parse_event
from contracts.export import schema_for

BERLIN_WINTER = timezone(timedelta(hours=1))
AT = datetime(2026, 12, 3, 6, 15, tzinfo=BERLIN_WINTER)

SAMPLES: dict[str, dict[str, Any]] = {
    "order.started": {
        "order": "1000001",
        "material": "PUMP-100",
        "planned_qty": "40",
        "unit": "PC",
        "line": "FINAL",
    },
    "operation.confirmed": {
        "order": "1000001",
        "operation": "0010",
        "work_center": "FINAL",
        "yield_qty": "12",
        "scrap_qty": "1",
        "rework_qty": "0",
        "unit": "PC",
        "final": False,
        "variance_reason": "0002",
    },
    "material.consumed": {
        "order": "1000001",
        "component": "MOTOR-1K5",
        "quantity": "12",
        "unit": "PC",
        "lot": "M-2026-0042",
        "storage_location": "STG",
    },
    "output.received": {
        "order": "1000001",
        "material": "PUMP-100",
        "quantity": "12",
        "unit": "PC",
        "lot": "P100-0001",
        "storage_location": "QI",
        "serial_numbers": ["SN-1", "SN-2"],
    },
    "scrap.declared": {
        "material": "PUMP-100",
        "quantity": "12",
        "unit": "PC",
        "reason_code": "Q01",
        "lot": "P100-0001",
        "storage_location": "QI",
    },
    "downtime.started": {
        "downtime_id": "DT-7",
        "work_center": "MACH",
        "equipment": "CNC-01",
        "reason": "SPINDLE",
        "planned": False,
    },
    "downtime.ended": {
        "downtime_id": "DT-7",
        "work_center": "MACH",
        "equipment": "CNC-01",
        "reason": "SPINDLE",
        "started_at": "2026-12-03T05:40:00+01:00",
    },
    "scan.recorded": {
        "barcode": "00340123450000000017",
        "handling_unit": "HU-17",
        "material": "CAST-100",
        "lot": "C-2026-0001",
        "from_location": "RAW",
        "to_location": "STG",
        "quantity": "20",
        "unit": "PC",
    },
    "quality.inspected": {
        "lot": "P100-0001",
        "material": "PUMP-100",
        "quantity": "12",
        "unit": "PC",
        "characteristics": [
            {
                "name": "FLOW",
                "value": "101.5",
                "lower_limit": "95",
                "upper_limit": "105",
                "target": "100",
                "unit": "L",
            }
        ],
        "decision": "accept",
    },
    "maintenance.requested": {
        "request_id": "MR-3",
        "equipment": "CNC-01",
        "work_center": "MACH",
        "failure_code": "SPINDLE",
        "priority": 2,
        "machine_down": True,
    },
    "shift.started": {
        "shift": "P100-20261203-A",
        "crew": "A",
        "planned_end": "2026-12-03T14:00:00+01:00",
    },
    "shift.ended": {"shift": "P100-20261203-A", "crew": "A"},
}


def wire(kind: str, **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "specversion": "1.0",
        "id": f"evt-{kind}",
        "source": "/plants/P100/lines/FINAL",
        "type": f"io.planttwin.{kind}.v1",
        "time": "2026-12-03T06:15:00+01:00",
        "subject": "order/1000001",
        "sequence": 1,
        "datacontenttype": "application/json",
        "plant": "P100",
        "data": dict(SAMPLES[kind]),
    }
    raw.update(changes)
    return raw


def test_every_payload_type_has_a_sample() -> None:
    assert {f"io.planttwin.{kind}.v1" for kind in SAMPLES} == set(contracts.PAYLOADS)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_valid_event_round_trips_and_matches_committed_schema(kind: str) -> None:
    event = parse_event(wire(kind))

    again = parse_event(json.loads(event.to_json()))

    assert again == event
    assert type(event.data) is contracts.PAYLOADS[event.type]
    jsonschema.validate(event.to_wire(), schema_for(event))


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_unknown_payload_field_is_named(kind: str) -> None:
    raw = wire(kind)
    raw["data"]["colour"] = "red"

    with pytest.raises(ContractError) as caught:
        parse_event(raw)

    assert str(caught.value) == "data.colour: 'red' is not a known field"


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_missing_payload_field_is_named(kind: str) -> None:
    raw = wire(kind)
    first_required = next(
        name
        for name, field in contracts.PAYLOADS[raw["type"]].model_fields.items()
        if field.is_required()
    )
    del raw["data"][first_required]

    with pytest.raises(ContractError) as caught:
        parse_event(raw)

    assert f"data.{first_required}: is required" in str(caught.value)


def test_negative_yield_names_path_value_and_rule() -> None:
    raw = wire("operation.confirmed")
    raw["data"]["yield_qty"] = "-3"

    with pytest.raises(ContractError) as caught:
        parse_event(raw)

    assert str(caught.value) == "data.yield_qty: '-3' must be >= 0"


def test_float_quantity_is_refused_with_the_rule() -> None:
    raw = wire("material.consumed")
    raw["data"]["quantity"] = 0.1

    with pytest.raises(ContractError) as caught:
        parse_event(raw)

    assert "data.quantity: '0.1' must be a decimal string" in str(caught.value)


def test_quantities_add_exactly() -> None:
    first = parse_event(
        wire(
            "material.consumed",
            data={**SAMPLES["material.consumed"], "quantity": "0.1"},
        )
    )
    second = parse_event(
        wire(
            "material.consumed",
            data={**SAMPLES["material.consumed"], "quantity": "0.2"},
        )
    )

    total = first.data.quantity + second.data.quantity  # type: ignore[attr-defined]

    assert total == Decimal("0.3")
    assert json.loads(first.to_json())["data"]["quantity"] == "0.1"


def test_too_many_decimal_places_is_refused() -> None:
    raw = wire("material.consumed")
    raw["data"]["quantity"] = "1.0005"

    with pytest.raises(ContractError, match="at most 3 decimal places"):
        parse_event(raw)


def test_envelope_errors_are_all_reported_together() -> None:
    raw = wire("shift.ended", sequence=0, time="2026-12-03T06:15:00", plant="")

    with pytest.raises(ContractError) as caught:
        parse_event(raw)

    paths = [path for path, _ in caught.value.problems]
    assert paths == ["time", "sequence", "plant"]
    assert "must carry a UTC offset" in str(caught.value)


def test_unknown_type_lists_the_known_ones() -> None:
    raw = wire("shift.ended", type="io.planttwin.shift.paused.v1")

    with pytest.raises(ContractError) as caught:
        parse_event(raw)

    assert "type: 'io.planttwin.shift.paused.v1' is not one of" in str(caught.value)
    assert "io.planttwin.shift.ended.v1" in str(caught.value)


def test_batch_errors_name_the_item() -> None:
    bad = wire("operation.confirmed")
    bad["data"]["unit"] = "PIECES!"

    with pytest.raises(ContractError) as caught:
        parse_batch([wire("shift.ended"), bad])

    assert str(caught.value).startswith("[1].data.unit: 'PIECES!' must match")


def test_batch_must_be_a_non_empty_array() -> None:
    with pytest.raises(ContractError, match="must be a JSON array"):
        parse_batch({"id": "x"})
    with pytest.raises(ContractError, match="at least one event"):
        parse_batch([])


def test_scan_must_move_between_locations() -> None:
    raw = wire("scan.recorded")
    raw["data"]["to_location"] = "RAW"

    with pytest.raises(ContractError, match="to_location must differ"):
        parse_event(raw)


def test_make_event_takes_type_from_the_payload() -> None:
    payload = contracts.ShiftEnded(shift="P100-20261203-A", crew="A")

    event = make_event(
        payload,
        id="e1",
        source="/plants/P100",
        time=AT,
        subject="shift/P100",
        sequence=3,
        plant="P100",
    )

    assert isinstance(event, PlantEvent)
    assert event.type == "io.planttwin.shift.ended.v1"
    assert event.to_json() == parse_event(json.loads(event.to_json())).to_json()
