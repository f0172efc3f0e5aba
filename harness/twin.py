"""The twin's side of a run: its events, its ledger and the plan it implies.

The twin runs in virtual time before anything is sent, so the truth is fixed
before the integration path sees a single event; the master data the mocks
and the gateway load is the scenario's, plus the orders SAP released for the
plan and the stock on hand at the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts import MasterData, PlantEvent, load_master_data
from harness.scenario import Scenario, ScenarioError


@dataclass(frozen=True)
class TwinTruth:
    events: list[PlantEvent]
    ledger: dict[str, Any]
    master: MasterData
    start: datetime


def run_twin(scenario: Scenario) -> TwinTruth:
    import simulator

    model = simulator.load_plant_model(scenario.plant)
    shifts = scenario.duration.shift_count(simulator.shift_hours(model))
    run = simulator.simulate(model, shifts=shifts, seed=scenario.seed)
    if not run.events:
        raise ScenarioError(f"the twin produced no events for {scenario.plant}")
    master_file = scenario.master_data or simulator.master_data_path(model)
    master = load_master_data(master_file).with_plan(run.orders, run.opening_stock)
    return TwinTruth(
        events=list(run.events),
        ledger=run.ledger.to_dict(),
        master=master,
        start=run.start,
    )
