"""One OData request against one service: reads, creates, updates, functions.

``Resources.execute`` is synchronous and runs under the state's lock; the
HTTP edge (``gateway``) and ``$batch`` call it for each request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from mocks.sap import catalogue, entities, errors, writes
from mocks.sap.catalogue import EntitySet, Service
from mocks.sap.errors import ODataError
from mocks.sap.metadata import metadata
from mocks.sap.query import apply_filter, apply_orderby, parse_count, parse_select
from mocks.sap.state import SapState

ROOT = "/sap/opu/odata/sap/"
_RESOURCE = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)(?:\((?P<key>.*)\))?(?:/(?P<nav>\$?\w+))?$"
)
JSON = "application/json; charset=utf-8"
_SEGMENT_END = re.compile(r"[(/?]")


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    result: Any = None

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Reply:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, {"content-type": JSON, **headers})

    @classmethod
    def error(cls, error: ODataError) -> Reply:
        return cls.json(error.status, error.body())


def entity_set_of(resource: str) -> str:
    """The entity set or function a resource path names (for faults, journal)."""
    return _SEGMENT_END.split(resource, maxsplit=1)[0]


class Resources:
    """Answers OData requests from one ``SapState``."""

    def __init__(self, state: SapState, page_size: int = 1000) -> None:
        self.state = state
        self.page_size = page_size

    def execute(
        self, service: Service, method: str, resource: str, query: dict[str, str],
        headers: dict[str, str], body: bytes, user: str, host: str,
    ) -> Reply:
        try:
            return self._dispatch(service, method, resource, query, headers, body,
                                  user, host)
        except ODataError as error:
            return Reply.error(error)

    def _dispatch(
        self, service: Service, method: str, resource: str, query: dict[str, str],
        headers: dict[str, str], body: bytes, user: str, host: str,
    ) -> Reply:
        base = f"{host}{ROOT}{service.name}/"
        if resource in ("", "/"):
            sets = list(service.entity_sets)
            return Reply.json(200, {"d": {"EntitySets": sets}})
        if resource == "$metadata":
            return Reply(200, metadata(service.name).encode(),
                         {"content-type": "application/xml"})
        found = _RESOURCE.match(resource)
        if not found:
            raise errors.not_found(resource)
        name, key, nav = found.group("name", "key", "nav")
        if name in service.functions and key is None and nav is None:
            return self._function(service, name, method, query, user, base)
        if name not in service.entity_sets:
            raise errors.not_found(name)
        entity = service.entity_sets[name]
        if key is None and nav is None:
            if method in ("GET", "HEAD"):
                rows = entities.rows(self.state, entity)
                return self._collection(entity, rows, query, base,
                                        f"{base}{name}")
            if method == "POST":
                return self._create(entity, body, user, base)
            raise _method(method, name)
        if key is None and nav == "$count" and method in ("GET", "HEAD"):
            rows = apply_filter(entity, entities.rows(self.state, entity),
                                query.get("$filter"))
            return Reply(200, str(len(rows)).encode(), {"content-type": "text/plain"})
        if key is None:
            raise errors.not_found(resource)
        keys = catalogue.parse_key(entity, key)
        row = entities.find(self.state, entity, keys)
        if nav == "$count" or nav is None:
            if method in ("GET", "HEAD"):
                expand = entities.parse_expand(entity, query.get("$expand"))
                select, _ = parse_select(entity, query.get("$select"))
                payload = entities.serialize(self.state, entity, row, base, select,
                                             expand)
                return Reply.json(200, {"d": payload},
                                  etag=payload["__metadata"]["etag"])
            if method in ("PATCH", "MERGE", "PUT"):
                return self._update(entity, row, headers, body)
            raise _method(method, name)
        if nav not in entity.navigations:
            raise errors.not_found(nav)
        if method not in ("GET", "HEAD"):
            raise _method(method, f"{name}/{nav}")
        target = catalogue.entity_set(service.name, entity.navigations[nav].target)
        reached = entities.navigate(self.state, entity, row, nav)
        if not entity.navigations[nav].many:
            if not reached:
                return Reply.json(200, {"d": None})
            return Reply.json(200, {"d": entities.serialize(
                self.state, target, reached[0], base)})
        return self._collection(target, reached, query, base,
                                f"{base}{resource}")

    def _collection(self, entity: EntitySet, rows: list[dict[str, Any]],
                    query: dict[str, str], base: str, self_url: str) -> Reply:
        rows = apply_filter(entity, rows, query.get("$filter"))
        rows = apply_orderby(entity, rows, query.get("$orderby"))
        skip = parse_count("$skip", query.get("$skip")) or 0
        top = parse_count("$top", query.get("$top"))
        inline = query.get("$inlinecount")
        if inline not in (None, "", "allpages", "none"):
            raise errors.bad_input("$inlinecount", f"'{inline}' is not allpages/none")
        total = len(rows)
        end = total if top is None else min(total, skip + top)
        page_end = min(end, skip + self.page_size)
        page = rows[skip:page_end]
        expand = entities.parse_expand(entity, query.get("$expand"))
        select, _ = parse_select(entity, query.get("$select"))
        payload: dict[str, Any] = {"results": [
            entities.serialize(self.state, entity, row, base, select, expand)
            for row in page
        ]}
        if inline == "allpages":
            payload["__count"] = str(total)
        if page_end < end:
            options = {k: v for k, v in query.items() if k not in ("$skip", "$top")}
            options["$skiptoken"] = str(page_end)
            options["$skip"] = str(page_end)
            if top is not None:
                options["$top"] = str(end - page_end)
            text = "&".join(f"{k}={quote(v, safe='')}" for k, v in options.items())
            payload["__next"] = f"{self_url}?{text}"
        return Reply.json(200, {"d": payload})

    def _create(self, entity: EntitySet, body: bytes, user: str, base: str) -> Reply:
        data = writes.parse_entity(entity, _json(body))
        parked_before = len(self.state.book.parked)
        row = writes.create(self.state, entity, data, user)
        expand: dict[str, Any] = {nav: {} for nav in entity.navigations if nav in data}
        if expand:
            payload = entities.serialize(self.state, entity, row, base, None, expand)
            uri, etag = payload["__metadata"]["uri"], payload["__metadata"]["etag"]
            text = json.dumps({"d": payload}, separators=(",", ":")).encode()
        else:
            text, uri, etag = entities.entity_json(entity, row, base)
        headers = {"content-type": JSON, "location": uri, "etag": etag}
        parked = len(self.state.book.parked) - parked_before
        if parked:
            headers["sap-message"] = errors.sap_message(
                "RU/505", f"{parked} goods movement(s) of the confirmation failed "
                          "and were parked for post-processing (COGI)", "warning")
        return Reply(201, text, headers, {k: row.get(k) for k in entity.keys})

    def _update(self, entity: EntitySet, row: dict[str, Any],
                headers: dict[str, str], body: bytes) -> Reply:
        if entity.name not in writes.UPDATABLE:
            raise _method("PATCH", entity.name)
        current = entities.etag(entity, row)
        match = headers.get("if-match")
        if not match:
            raise ODataError(412, errors.PRECONDITION,
                             "An If-Match header is required to change "
                             f"{entity.name}", target="If-Match")
        if match != "*" and match != current:
            raise ODataError(412, errors.PRECONDITION,
                             f"The entity {entity.name} was changed by another "
                             "user (ETag mismatch)", target="If-Match")
        data = writes.parse_entity(entity, _json(body))
        for key in entity.keys:
            if key in data and data[key] != row.get(key):
                raise errors.bad_input(key, "a key property cannot be changed")
        writes.update(row, data)
        reply = Reply(204, b"", {"etag": entities.etag(entity, row)})
        reply.result = {k: row.get(k) for k in entity.keys}
        return reply

    def _function(self, service: Service, name: str, method: str,
                  query: dict[str, str], user: str, base: str) -> Reply:
        if method != "POST":
            raise _method(method, name)
        kind, row = writes.function(self.state, service.name, name, query, user)
        if kind == "complex":
            return Reply.json(200, {"d": {name: {
                "__metadata": {"type": f"{service.name}.FunctionMessage"},
                **{k: catalogue.to_wire(v) for k, v in row.items()}}}})
        entity = service.entity_sets[kind.split(":", 1)[1]]
        payload = entities.serialize(self.state, entity, row, base)
        reply = Reply.json(200, {"d": payload})
        reply.result = {k: row.get(k) for k in entity.keys}
        return reply


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.bad_input("(body)", f"is not valid JSON: {exc}") from None


def _method(method: str, what: str) -> ODataError:
    return ODataError(405, errors.BAD_METHOD,
                      f"Method {method} is not allowed on {what}")
