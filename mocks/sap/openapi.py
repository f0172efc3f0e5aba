"""The mock's OpenAPI document (served at ``/openapi.json``).

FastAPI describes the ``/_mock`` control routes; the OData services are
answered by ``edge.ODataEdge`` and described here from the catalogue: reads
of every entity set with the query options SAP accepts, creates of the
creatable sets with their property types and lengths, and function imports.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mocks.sap.catalogue import EntitySet, Property, services
from mocks.sap.resources import ROOT
from mocks.sap.writes import CREATABLE, UPDATABLE

_QUERY = [
    {"name": "$top", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "$skip", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "$filter", "in": "query", "schema": {"type": "string"}},
    {"name": "$orderby", "in": "query", "schema": {"type": "string"}},
    {"name": "$select", "in": "query", "schema": {"type": "string"}},
    {"name": "$expand", "in": "query", "schema": {"type": "string"}},
    {"name": "$inlinecount", "in": "query",
     "schema": {"type": "string", "enum": ["allpages", "none"]}},
    {"name": "sap-client", "in": "query", "schema": {"type": "string"}},
]
_ANSWERS = {
    "400": {"description": "Bad input or business rule (SAP error body)"},
    "401": {"description": "Not authenticated"},
    "403": {"description": "CSRF token required"},
    "404": {"description": "Not found"},
    "405": {"description": "Method not allowed"},
    "412": {"description": "Precondition failed"},
}


def _schema(prop: Property) -> dict[str, Any]:
    kind = prop.type
    if kind == "Edm.String":
        schema: dict[str, Any] = {"type": "string"}
        if prop.max_length:
            schema["maxLength"] = prop.max_length
    elif kind == "Edm.Boolean":
        schema = {"type": "boolean"}
    elif kind == "Edm.Decimal":
        whole = (prop.precision or 13) - (prop.scale or 0)
        fraction = rf"(\.\d{{1,{prop.scale}}})?" if prop.scale else ""
        schema = {"type": "string", "pattern": rf"^-?\d{{1,{whole}}}{fraction}$"}
    elif kind in ("Edm.DateTime", "Edm.DateTimeOffset"):
        schema = {"type": "string", "pattern": r"^/Date\(\d{1,13}\)/$"}
    elif kind == "Edm.Time":
        schema = {"type": "string", "pattern": r"^PT([01]\d|2[0-3])H[0-5]\dM[0-5]\dS$"}
    elif kind == "Edm.Guid":
        schema = {"type": "string", "format": "uuid"}
    elif kind == "Edm.Byte":
        schema = {"type": "integer", "minimum": 0, "maximum": 255}
    elif kind in ("Edm.Int16", "Edm.Int32"):
        schema = {"type": "integer", "minimum": -(2**15), "maximum": 2**15 - 1}
    else:
        schema = {"type": "number"}
    if prop.nullable:
        schema["nullable"] = True
    return schema


def _entity_schema(entity: EntitySet) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _schema(p) for name, p in entity.properties.items()},
    }


def _operation(summary: str, ok: str = "200", **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "security": [{"basic": []}],
            "responses": {ok: {"description": "OK"}, **_ANSWERS}, **extra}


def odata_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for service in services().values():
        base = f"{ROOT}{service.name}/"
        paths[f"{base}$metadata"] = {"get": _operation("Service metadata (EDMX)")}
        for entity in service.entity_sets.values():
            item: dict[str, Any] = {"get": _operation(
                f"Read {entity.name}", parameters=_QUERY)}
            if entity.name in CREATABLE:
                item["post"] = _operation(
                    f"Create {entity.name}", ok="201",
                    requestBody={"required": True, "content": {
                        "application/json": {"schema": _entity_schema(entity)}}},
                )
            paths[f"{base}{entity.name}"] = item
            if len(entity.keys) == 1:
                key = entity.keys[0]
                by_key = [{"name": key, "in": "path", "required": True,
                           "schema": _schema(entity.properties[key])}]
                one: dict[str, Any] = {"get": _operation(
                    f"Read one {entity.name}", parameters=by_key)}
                if entity.name in UPDATABLE:
                    one["patch"] = _operation(
                        f"Change {entity.name} (If-Match required)", ok="204",
                        parameters=[*by_key, {"name": "If-Match", "in": "header",
                                              "schema": {"type": "string"}}],
                        requestBody={"required": True, "content": {
                            "application/json": {"schema": _entity_schema(entity)}}},
                    )
                paths[f"{base}{entity.name}('{{{key}}}')"] = one
        for function in service.functions.values():
            parameters = [
                {"name": p.name, "in": "query", "required": not p.nullable,
                 "schema": {"type": "string"}}
                for p in function.parameters
            ]
            paths[f"{base}{function.name}"] = {"post": _operation(
                f"Function import {function.name}", parameters=parameters)}
    return paths


def openapi_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, routes=app.routes,
                           description="SAP S/4HANA OData V2 mock with control API")
    document["paths"].update(odata_paths())
    document.setdefault("components", {})["securitySchemes"] = {
        "basic": {"type": "http", "scheme": "basic"}}
    return document
