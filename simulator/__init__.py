"""The plant twin: a SimPy model of shift-based, multi-plant production.

Load a plant model, simulate it, and read its events and ground truth::

    model = load_plant_model("scenarios/plants/sample.yaml")
    run = simulate(model, shifts=3, seed=42)
    run.events, run.ledger.to_dict(), run.orders, run.opening_stock

The plant edge (``PlantEdge`` and its sinks) sends those events on with
store-and-forward. ``write_machine_log`` writes a run's machine-state log
(CSV, as a retrofit data logger would); ``calibrate`` fits a machine's
failure, repair and cycle behaviour from such a log and ``fragment_yaml``
turns the fit into a plant-model fragment.
"""

from simulator.calibration import LogColumns, MachineFit, calibrate, fragment_yaml
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
from simulator.machinelog import LineTimeline, write_machine_log
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
    "LineTimeline",
    "LogColumns",
    "MachineFit",
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
    "calibrate",
    "fragment_yaml",
    "load_plant_model",
    "master_data_path",
    "oee",
    "shift_hours",
    "simulate",
    "write_machine_log",
]
