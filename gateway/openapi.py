"""The gateway's OpenAPI document, as committed in
``contracts/openapi/gateway.json`` and served at ``/openapi.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts import MasterData
from gateway.app import create_app
from gateway.config import parse_config

_PLACEHOLDER = {
    "master_data": "unused.yaml",
    "plants": {"P100": {"key": "placeholder-plant-key"}},
    "operator_key": "placeholder-operator-key",
    "store": {"kind": "sqlite", "path": str(Path("unused.sqlite"))},
}
_MASTER = {
    "plants": [{"code": "P100", "sap_plant": "1010", "odoo_company": "P"}],
    "units": [{"code": "PC", "sap": "PC", "odoo": "Units"}],
    "materials": [
        {"code": "M", "base_unit": "PC", "sap_material": "M", "odoo_product": "M"}
    ],
}


def openapi_document() -> dict[str, Any]:
    """The document, built from the routes without starting anything."""
    config = parse_config(_PLACEHOLDER)
    app = create_app(config, MasterData.model_validate(_MASTER))
    document: dict[str, Any] = app.openapi()
    return document


def render_openapi() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"
