"""Scaled real time and many plants give the same events as one virtual run."""

from __future__ import annotations

import time

import simulator
from contracts import PlantEvent
from simulator import PlantModel
from tests.simulator.conftest import MULTI


def test_scaled_real_time_produces_the_virtual_events(plant: PlantModel) -> None:
    virtual = simulator.simulate(plant, shifts=1, seed=9)
    streamed: list[PlantEvent] = []
    began = time.monotonic()

    scaled = simulator.simulate(
        plant, shifts=1, seed=9, speed=8 * 3600 / 0.5, on_event=streamed.append
    )

    elapsed = time.monotonic() - began
    assert scaled.to_jsonl() == virtual.to_jsonl()
    assert [event.id for event in streamed] == [event.id for event in virtual.events]
    assert 0.4 < elapsed < 5.0


def test_five_plants_in_several_time_zones_run_in_one_plant_time_order() -> None:
    model = simulator.load_plant_model(MULTI)

    run = simulator.simulate(model, shifts=2, seed=7)

    assert len(model.plants) >= 5
    assert len(set(model.timezones.values())) >= 2
    assert {event.plant for event in run.events} == {p.code for p in model.plants}
    instants = [event.time.timestamp() for event in run.events]
    assert instants == sorted(instants)
    offsets = {event.time.utcoffset() for event in run.events}
    assert len(offsets) >= 3
    assert len({order.order for order in run.orders}) == len(run.orders)


def test_parallel_processes_give_identical_output() -> None:
    model = simulator.load_plant_model(MULTI)

    alone = simulator.simulate(model, shifts=2, seed=11)
    parallel = simulator.simulate(model, shifts=2, seed=11, processes=2)

    assert parallel.to_jsonl() == alone.to_jsonl()
    assert parallel.ledger.to_dict() == alone.ledger.to_dict()
