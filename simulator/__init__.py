"""The plant twin: a SimPy model of shift-based, multi-plant production.

Load a plant model, simulate it, and read its events and ground truth::

    model = load_plant_model("scenarios/plants/sample.yaml")
    run = simulate(model, shifts=3, seed=42)
    run.events, run.ledger.to_dict(), run.orders, run.opening_stock

The plant edge (``PlantEdge`` and its sinks) sends those events on with
store-and-forward; ``calibrate`` fits machine behaviour from a state log.
"""

from simulator.edge import PlantEdge
from simulator.errors import (
    CalibrationError,
    EdgeError,
    PlantModelError,
    SimulatorError,
)
from simulator.ledger import Ledger
from simulator.loading import (
    PlantModel,
    load_plant_model,
    master_data_path,
    shift_hours,
)
from simulator.oee import oee
from simulator.sinks import (
    HttpSink,
    JsonlSink,
    MqttSink,
    Sink,
    SinkRejected,
    SinkUnavailable,
)
from simulator.twin import TwinRun, simulate

__all__ = [
    "CalibrationError",
    "EdgeError",
    "HttpSink",
    "JsonlSink",
    "MqttSink",
    "PlantEdge",
    "Sink",
    "SinkRejected",
    "SinkUnavailable",
    "Ledger",
    "PlantModel",
    "PlantModelError",
    "SimulatorError",
    "TwinRun",
    "load_plant_model",
    "master_data_path",
    "oee",
    "shift_hours",
    "simulate",
]
