"""A run of the pump plant: deterministic, conserving, valid, on shift."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema

import simulator
from contracts import MasterData, PlantEvent, load_master_data, parse_json
from contracts.export import schema_for
from simulator import PlantModel, TwinRun
from tests.simulator.conftest import MULTI, SAMPLE_MASTER, write_plant


def _bytes(run: TwinRun) -> tuple[str, str]:
    return run.to_jsonl(), json.dumps(run.ledger.to_dict(), sort_keys=True)


def test_the_same_seed_gives_byte_identical_events_and_ledger(
    plant: PlantModel, day_run: TwinRun
) -> None:
    again = simulator.simulate(plant, shifts=3, seed=42)
    other = simulator.simulate(plant, shifts=3, seed=43)

    assert _bytes(again) == _bytes(day_run)
    assert _bytes(other)[0] != _bytes(day_run)[0]
    assert _bytes(other)[1] != _bytes(day_run)[1]


def test_events_are_in_plant_time_order_with_short_unique_ids(
    day_run: TwinRun,
) -> None:
    times = [event.time for event in day_run.events]
    ids = [event.id for event in day_run.events]
    sequences: dict[str, list[int]] = defaultdict(list)
    for event in day_run.events:
        sequences[event.subject].append(event.sequence)

    assert times == sorted(times)
    assert len(set(ids)) == len(ids) and max(map(len, ids)) <= 40
    assert all(seq == list(range(1, len(seq) + 1)) for seq in sequences.values())
    assert all(event.time.utcoffset() is not None for event in day_run.events)


def test_every_event_validates_against_its_committed_schema(
    day_run: TwinRun,
) -> None:
    multi = simulator.simulate(simulator.load_plant_model(MULTI), shifts=2, seed=3)
    validators: dict[str, jsonschema.Draft202012Validator] = {}
    problems = []

    for event in [*day_run.events, *multi.events]:
        if event.type not in validators:
            validators[event.type] = jsonschema.Draft202012Validator(schema_for(event))
        wire = json.loads(event.to_json())
        problems += [
            f"{event.id}: {error.message}"
            for error in validators[event.type].iter_errors(wire)
        ]

    assert problems == []
    assert len(validators) == 12


def test_per_operation_good_plus_scrap_is_what_was_processed(
    day_run: TwinRun,
) -> None:
    orders = day_run.ledger.to_dict()["orders"]
    confirmed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for event in _of(day_run, "operation.confirmed"):
        data = event.data
        key = (data.order, data.operation)
        confirmed[key] += data.yield_qty + data.scrap_qty

    for number, order in orders.items():
        reaching = None
        for operation, truth in order["operations"].items():
            processed = int(truth["good"]) + int(truth["scrap"])
            assert processed == int(truth["processed"])
            if reaching is not None:
                assert processed == reaching
            reaching = int(truth["good"])
            assert confirmed[(number, operation)] == processed
        if order["status"] == "finished":
            first = next(iter(order["operations"].values()))
            assert int(first["processed"]) == int(order["planned_qty"])


def test_backflush_is_bom_quantity_times_last_operation_yield_and_scrap(
    day_run: TwinRun,
) -> None:
    ledger = day_run.ledger.to_dict()
    per_order: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in ledger["consumption"]:
        if row["backflush"]:
            per_order[(row["order"], row["component"])] += Decimal(row["quantity"])
    bom = {order.order: order for order in day_run.orders}

    assert per_order
    for (number, component), quantity in per_order.items():
        item = next(c for c in bom[number].components if c.component == component)
        last = list(ledger["orders"][number]["operations"].values())[-1]
        assert item.backflush
        assert quantity == item.quantity_per_unit * int(last["processed"])


def test_issues_follow_the_bom_and_receipts_follow_the_last_yield(
    day_run: TwinRun,
) -> None:
    master = load_master_data(SAMPLE_MASTER)
    ledger = day_run.ledger.to_dict()
    issued: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in ledger["consumption"]:
        if not row["backflush"]:
            issued[(row["order"], row["component"])] += Decimal(row["quantity"])
    received: dict[str, Decimal] = defaultdict(Decimal)
    for event in _of(day_run, "output.received"):
        received[event.data.order] += event.data.quantity

    grease = [
        e.data for e in _of(day_run, "scan.recorded") if e.data.material == "GREASE"
    ]
    assert issued and grease
    assert all(scan.unit == "G" and scan.quantity % 15 == 0 for scan in grease)
    for order in day_run.orders:
        truth = ledger["orders"][order.order]
        steps = list(truth["operations"].values())
        started = int(steps[0]["processed"])
        assert received[order.order] == int(steps[-1]["good"])
        assert Decimal(truth["output"]) == received[order.order]
        for item in order.components:
            if item.backflush:
                continue
            need = master.to_base(
                item.component, item.quantity_per_unit * started, item.unit
            )
            assert issued[(order.order, item.component)] == need


def test_stock_is_receipts_minus_issues_and_never_negative(
    day_run: TwinRun,
) -> None:
    master = load_master_data(SAMPLE_MASTER)
    ledger = day_run.ledger.to_dict()
    balances = _replay(day_run, master)

    closing = {
        (row["material"], row["location"], row["lot"]): Decimal(row["quantity"])
        for row in ledger["closing_stock"]
    }
    assert {k: v for k, v in balances.items() if v} == {
        k: v for k, v in closing.items() if v
    }


def test_no_unit_is_built_in_a_break_or_off_shift(day_run: TwinRun) -> None:
    shifts = day_run.ledger.to_dict()["shifts"]
    periods = [
        (datetime.fromisoformat(a), datetime.fromisoformat(b))
        for shift in shifts
        for a, b in shift["working"]
    ]
    production = ("operation.confirmed", "material.consumed", "output.received")

    for event in day_run.events:
        if any(kind in event.type for kind in production):
            assert any(a <= event.time <= b for a, b in periods), event.time
    assert len(periods) == 6


def test_oee_lies_between_zero_and_one_for_every_line_and_shift(
    day_run: TwinRun,
) -> None:
    rows = day_run.ledger.to_dict()["oee"]

    assert len(rows) == 9
    for row in rows:
        for factor in ("availability", "performance", "quality", "oee"):
            assert 0.0 <= row[factor] <= 1.0
        assert row["oee"] > 0.3


def test_released_orders_and_opening_stock_fit_the_master_data(
    day_run: TwinRun,
) -> None:
    master = load_master_data(SAMPLE_MASTER).with_plan(
        day_run.orders, day_run.opening_stock
    )

    assert len(master.orders) == 9
    assert {b.storage_location for b in master.opening_stock} == {"RAW"}
    for order in master.orders:
        assert len(order.order) <= 12
        master.material(order.material)


def _of(run: TwinRun, kind: str) -> list[PlantEvent]:
    return [event for event in run.events if f".{kind}." in event.type]


def _replay(
    run: TwinRun, master: MasterData
) -> dict[tuple[str, str, str | None], Decimal]:
    """Apply events in order from opening stock, with SAP's backflush."""
    stock: dict[tuple[str, str, str | None], Decimal] = defaultdict(Decimal)
    for balance in run.opening_stock:
        key = (balance.material, balance.storage_location, balance.lot)
        stock[key] += balance.quantity
    orders = {order.order: order for order in run.orders}

    def book(material: str, location: str, lot: str | None, quantity: Decimal) -> None:
        stock[(material, location, lot)] += quantity
        assert stock[(material, location, lot)] >= 0, (material, location, lot)

    for event in run.events:
        data: Any = event.data
        name = event.type.split(".")[-3] + "." + event.type.split(".")[-2]
        if name == "scan.recorded":
            moved = master.to_base(data.material, data.quantity, data.unit)
            book(data.material, data.from_location, data.lot, -moved)
            book(data.material, data.to_location, data.lot, moved)
        elif name == "material.consumed":
            book(data.component, data.storage_location, data.lot, -data.quantity)
        elif name == "output.received":
            book(data.material, data.storage_location, data.lot, data.quantity)
        elif name == "scrap.declared":
            book(data.material, data.storage_location, data.lot, -data.quantity)
        elif name == "operation.confirmed":
            order = orders[data.order]
            if data.operation != order.operations[-1].operation:
                continue
            done = data.yield_qty + data.scrap_qty
            for item in order.components:
                if item.backflush:
                    base = master.to_base(
                        item.component, item.quantity_per_unit * done, item.unit
                    )
                    book(item.component, item.storage_location, None, -base)
    return stock


def test_each_confirmed_operation_ends_with_one_final_confirmation(
    day_run: TwinRun,
) -> None:
    confirmations: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for event in _of(day_run, "operation.confirmed"):
        confirmations[(event.data.order, event.data.operation)].append(event.data.final)
    finished = {
        number
        for number, order in day_run.ledger.to_dict()["orders"].items()
        if order["status"] == "finished"
    }

    assert finished
    for (order, _), finals in confirmations.items():
        expected = order in finished
        assert finals[-1] is expected and not any(finals[:-1])


_UNCONFIRMED_STEP = """\
code: P100
lines:
  - code: FINAL
    work_center: FINAL
    pallet_size: 10
    machines:
      - {equipment: ASSY-01, cycle_time: 3m, mttf: 40h, mttr: 20m}
products:
  - material: PUMP-100
    line: FINAL
    per_shift: 30
    routing:
      - {operation: "0010", work_center: FINAL}
      - {operation: "0020", work_center: FINAL, confirmed: false,
         scrap: {probability: 0.2, reasons: {LEAK: 1}}}
      - {operation: "0030", work_center: FINAL}
    bom:
      - {component: BOLT-M8, quantity_per_unit: "8", unit: PC, backflush: true}
"""


def test_an_unconfirmed_operation_is_in_the_truth_but_sends_nothing(
    tmp_path: Path,
) -> None:
    model = simulator.load_plant_model(write_plant(tmp_path, _UNCONFIRMED_STEP))

    run = simulator.simulate(model, shifts=1, seed=8)

    ((number, order),) = run.ledger.to_dict()["orders"].items()
    steps = order["operations"]
    confirmed = {e.data.operation for e in _of(run, "operation.confirmed")}
    backflushed = sum(
        Decimal(row["quantity"]) for row in run.ledger.consumption if row["backflush"]
    )
    assert confirmed == {"0010", "0030"}
    assert int(steps["0020"]["scrap"]) > 0
    assert int(steps["0030"]["processed"]) == int(steps["0020"]["good"])
    assert backflushed == 8 * int(steps["0030"]["processed"])


def test_crews_have_seeded_named_and_badged_operators(
    plant: PlantModel, day_run: TwinRun
) -> None:
    other = simulator.simulate(plant, shifts=1, seed=43)

    crews = day_run.ledger.crews
    badges = [member["badge"] for team in crews.values() for member in team]
    assert sorted(crews) == ["P100/CREW-A", "P100/CREW-B", "P100/CREW-C"]
    assert all(len(team) == 6 for team in crews.values())
    assert len(set(badges)) == 18 and badges[0] == "P100-00001"
    assert all(" " in member["name"] for team in crews.values() for member in team)
    assert other.ledger.crews != crews
    assert {e.data.crew for e in _of(day_run, "shift.started")} == {
        "CREW-A",
        "CREW-B",
        "CREW-C",
    }


def test_every_event_survives_the_contracts_own_validation(
    day_run: TwinRun,
) -> None:
    for event in day_run.events:
        assert parse_json(event.to_json()) == event, event.id
