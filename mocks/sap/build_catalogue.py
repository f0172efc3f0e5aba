"""Build ``catalogue.json`` from SAP's published API descriptions.

SAP publishes each OData V2 service as an OpenAPI 3 document (see
``../shared/reference/sap/SOURCES.md``). This tool keeps, for the entity sets
the mock models, every property with its Edm type, length, precision and
nullability, the keys, the navigation properties and the function imports, so
that ``$metadata`` and payload checks come from SAP's descriptions and not
from memory. Run it when the reference changes::

    python -m mocks.sap.build_catalogue ../shared/reference/sap
"""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).with_name("catalogue.json")

# service -> (reference file, schema namespace prefix, modelled entity sets)
_SERVICES: dict[str, tuple[str, str, list[str]]] = {
    "API_PRODUCTION_ORDER_2_SRV": (
        "OP_API_PRODUCTION_ORDER_2_SRV_0001.openapi.json",
        "API_PRODUCTION_ORDER_2_SRV",
        [
            "A_ProductionOrder_2",
            "A_ProductionOrderOperation_2",
            "A_ProductionOrderComponent_2",
            "A_ProductionOrderStatus_2",
        ],
    ),
    "API_PROD_ORDER_CONFIRMATION_2_SRV": (
        "OP_API_PROD_ORDER_CONFIRMATIO_2_SRV_0001.openapi.json",
        "API_PROD_ORDER_CONFIRMATION_2_SRV",
        ["ProdnOrdConf2", "ProdnOrdConfMatlDocItm"],
    ),
    "API_MATERIAL_DOCUMENT_SRV": (
        "OP_API_MATERIAL_DOCUMENT_SRV.openapi.json",
        "API_MATERIAL_DOCUMENT_SRV",
        ["A_MaterialDocumentHeader", "A_MaterialDocumentItem"],
    ),
    "API_MATERIAL_STOCK_SRV": (
        "OP_API_MATERIAL_STOCK_SRV_format.json",
        "API_MATERIAL_STOCK_SRV",
        ["A_MaterialStock", "A_MatlStkInAcctMod"],
    ),
    "API_MAINTNOTIFICATION": (
        "OP_API_MAINTNOTIFICATION.openapi.json",
        "cds_api_maintnotification",
        ["MaintenanceNotification"],
    ),
}
_FUNCTIONS = {
    "API_PRODUCTION_ORDER_2_SRV": ["ReleaseOrder", "TechlyCmpltOrder"],
    "API_PROD_ORDER_CONFIRMATION_2_SRV": ["CancelProdnOrdConf"],
    "API_MATERIAL_DOCUMENT_SRV": ["Cancel"],
}
_INSPECTION = "API_INSPECTIONLOT_SRV.md"


def _edm(spec: dict[str, Any]) -> dict[str, Any]:
    kind, fmt = spec.get("type"), spec.get("format")
    example = str(spec.get("example", ""))
    if kind == "boolean":
        return {"type": "Edm.Boolean"}
    if kind == "integer":
        return {"type": {"uint8": "Edm.Byte", "int16": "Edm.Int16"}.get(
            str(fmt), "Edm.Int32")}
    if fmt == "decimal":
        exponent = Decimal(str(spec.get("multipleOf", "1"))).as_tuple().exponent
        scale = -exponent if isinstance(exponent, int) else 0
        whole = len(str(int(Decimal(str(spec.get("maximum", "9" * 13))))))
        return {"type": "Edm.Decimal", "precision": whole + int(scale),
                "scale": int(scale)}
    if fmt == "uuid":
        return {"type": "Edm.Guid"}
    if example.startswith("/Date("):
        return {"type": "Edm.DateTime"}
    if example.startswith("PT"):
        return {"type": "Edm.Time"}
    result: dict[str, Any] = {"type": "Edm.String"}
    if "maxLength" in spec:
        result["max_length"] = spec["maxLength"]
    return result


def _path_keys(paths: dict[str, Any], name: str) -> list[str] | None:
    for path in paths:
        found = re.fullmatch(rf"/{name}\((.*)\)", path)
        if found:
            keys = re.findall(r"\{(\w+)\}", found.group(1))
            return keys or None
    return None


def _entity_set(document: dict[str, Any], prefix: str, name: str) -> dict[str, Any]:
    schema = document["components"]["schemas"][f"{prefix}.{name}Type"]
    properties, keys, navigations = [], [], {}
    for prop, spec in schema["properties"].items():
        target = spec.get("$ref") or spec.get("properties", {}).get(
            "results", {}).get("items", {}).get("$ref")
        if target:
            many = "results" in spec.get("properties", {})
            set_name = target.rsplit(".", 1)[1].removesuffix("Type")
            navigations[prop] = {"target": set_name, "many": many}
            continue
        entry = {"name": prop, **_edm(spec), "nullable": bool(spec.get("nullable"))}
        properties.append(entry)
        if not spec.get("nullable"):
            keys.append(prop)
    keys = _path_keys(document["paths"], name) or keys
    for entry in properties:
        entry["nullable"] = entry["name"] not in keys
    return {"type": f"{name}Type", "keys": keys, "properties": properties,
            "navigations": navigations}


def _function(paths: dict[str, Any], name: str) -> dict[str, Any]:
    post = paths[f"/{name}"]["post"]
    parameters = [
        {"name": p["name"], "required": bool(p.get("required")),
         "type": "Edm.DateTime" if "datetime'" in p["schema"].get("pattern", "")
         else "Edm.Guid" if "guid'" in p["schema"].get("pattern", "")
         else "Edm.String"}
        for p in post.get("parameters", []) if "name" in p
    ]
    schema = post["responses"]["200"]["content"]["application/json"]["schema"]
    returns = schema.get("title", "")
    return {"parameters": parameters, "returns": returns}


def _inspection(text: str) -> dict[str, Any]:
    sets: dict[str, Any] = {}
    for block in re.split(r"^## ", text, flags=re.M)[1:]:
        head = re.match(r"(\w+) \(type (\w+); key ([\w, ]+)\)", block)
        if not head:
            continue
        keys = [key.strip() for key in head.group(3).split(",")]
        properties = []
        for row in re.findall(r"^\| (\w+) \| (Edm\.\w+) \| ([\d,]*) *\|", block, re.M):
            prop, edm, size = row
            entry: dict[str, Any] = {"name": prop, "type": edm,
                                     "nullable": prop not in keys}
            if edm == "Edm.String" and size:
                entry["max_length"] = int(size)
            if edm == "Edm.Decimal" and size:
                precision, scale = size.split(",")
                entry.update(precision=int(precision), scale=int(scale))
            properties.append(entry)
        sets[head.group(1)] = {"type": head.group(2), "keys": keys,
                               "properties": properties, "navigations": {}}
    return sets


def build(reference: Path) -> dict[str, Any]:
    """The catalogue of every modelled service, read from ``reference``."""
    catalogue: dict[str, Any] = {}
    for service, (file, prefix, names) in _SERVICES.items():
        document = json.loads((reference / file).read_text(encoding="utf-8"))
        schemas = document["components"]["schemas"]
        sets = {name: _entity_set(document, prefix, name) for name in names}
        for entity_set in sets.values():
            entity_set["navigations"] = {
                nav: spec for nav, spec in entity_set["navigations"].items()
                if spec["target"] in sets
            }
        functions = {name: _function(document["paths"], name)
                     for name in _FUNCTIONS.get(service, [])}
        complex_types = {}
        message = schemas.get(f"{prefix}.FunctionMessage")
        if message:
            complex_types["FunctionMessage"] = [
                {"name": p, **_edm(s), "nullable": True}
                for p, s in message["properties"].items()
            ]
        catalogue[service] = {"namespace": service, "entity_sets": sets,
                              "functions": functions, "complex_types": complex_types}
    text = (reference / _INSPECTION).read_text(encoding="utf-8")
    catalogue["API_INSPECTIONLOT_SRV"] = {
        "namespace": "API_INSPECTIONLOT_SRV", "entity_sets": _inspection(text),
        "functions": {}, "complex_types": {}}
    return catalogue


def main() -> None:
    reference = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/sap")
    CATALOGUE.write_text(json.dumps(build(reference), indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
