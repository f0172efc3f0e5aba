"""The plant-event contract: envelope, payloads, quantities and master data.

Everything that crosses a boundary in PlantTwin is defined here, and nothing
here imports the rest of PlantTwin.
"""

from contracts.envelope import (
    BATCH_CONTENT_TYPE,
    CONTENT_TYPE,
    PlantEvent,
    WireEnvelope,
    dump_batch,
    make_event,
    parse_batch,
    parse_event,
    parse_json,
)
from contracts.errors import ContractError, PlantTwinError
from contracts.masterdata import (
    MasterData,
    Material,
    Order,
    OrderComponent,
    OrderOperation,
    StockBalance,
    UnknownMasterData,
    load_master_data,
    parse_master_data,
)
from contracts.payloads import (
    PAYLOAD_TYPES,
    PAYLOADS,
    Characteristic,
    DowntimeEnded,
    DowntimeStarted,
    MaintenanceRequested,
    MaterialConsumed,
    OperationConfirmed,
    OrderStarted,
    OutputReceived,
    Payload,
    QualityInspected,
    ScanRecorded,
    ScrapDeclared,
    ShiftEnded,
    ShiftStarted,
)
from contracts.quantities import Qty, UnitCode, qty

__version__ = "0.1.0"

__all__ = [
    "BATCH_CONTENT_TYPE",
    "CONTENT_TYPE",
    "PAYLOADS",
    "PAYLOAD_TYPES",
    "Characteristic",
    "ContractError",
    "DowntimeEnded",
    "DowntimeStarted",
    "MaintenanceRequested",
    "MasterData",
    "Material",
    "MaterialConsumed",
    "OperationConfirmed",
    "Order",
    "OrderComponent",
    "OrderOperation",
    "OrderStarted",
    "OutputReceived",
    "Payload",
    "PlantEvent",
    "PlantTwinError",
    "QualityInspected",
    "Qty",
    "ScanRecorded",
    "ScrapDeclared",
    "StockBalance",
    "ShiftEnded",
    "ShiftStarted",
    "UnitCode",
    "UnknownMasterData",
    "WireEnvelope",
    "dump_batch",
    "load_master_data",
    "make_event",
    "parse_batch",
    "parse_event",
    "parse_json",
    "parse_master_data",
    "qty",
]
