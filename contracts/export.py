"""JSON Schema documents generated from the contract models.

The committed files under ``contracts/schemas/`` are the reviewable face of
the contract: a change to a model that is not regenerated fails a test, and a
regenerated one shows up in the diff of the pull request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, create_model

from contracts.envelope import PlantEvent, WireEnvelope, _EnvelopeFields
from contracts.masterdata import MasterData
from contracts.payloads import PAYLOAD_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _document(model: type[BaseModel], title: str, schema_id: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    schema["title"] = title
    return {"$schema": _DIALECT, "$id": schema_id, **schema}


def _event_model(payload: type[Any]) -> type[BaseModel]:
    name = payload.__name__ + "Event"
    return create_model(
        name,
        __base__=_EnvelopeFields,
        type=(Literal[payload.event_type], ...),  # type: ignore[arg-type]
        data=(payload, ...),
    )


def build_schemas() -> dict[str, dict[str, Any]]:
    """Every schema document by file name."""
    documents = {
        "envelope.schema.json": _document(
            WireEnvelope, "Plant event envelope", "planttwin:envelope"
        ),
        "masterdata.schema.json": _document(
            MasterData, "PlantTwin master data", "planttwin:masterdata"
        ),
    }
    for payload in PAYLOAD_TYPES:
        event_type = payload.event_type
        file_name = event_type.removeprefix("io.planttwin.") + ".schema.json"
        documents[file_name] = _document(
            _event_model(payload), event_type, f"planttwin:{event_type}"
        )
    return documents


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema document; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, document in build_schemas().items():
        path = directory / file_name
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written


def schema_drift(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of committed schema files that differ from the models."""
    drift = []
    for file_name, document in build_schemas().items():
        path = directory / file_name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != render(document):
            drift.append(file_name)
    return drift


def schema_for(event: PlantEvent) -> dict[str, Any]:
    """The committed schema document that ``event`` must satisfy."""
    file_name = event.type.removeprefix("io.planttwin.") + ".schema.json"
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / file_name).read_text("utf-8"))
    return loaded
