"""The HTTP edge of the OData services, as SAP Gateway runs them.

For each request under ``/sap/opu/odata/sap/<SERVICE>/``: authenticate
(Basic or session cookie), apply fault rules, hand out or check the CSRF
token, replay a repeated ``RequestID``, execute under the state's lock,
journal writes and log one line. ``lost_ack`` and ``reset`` end the
connection without an answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from mocks.sap import errors
from mocks.sap.batch import run_batch
from mocks.sap.catalogue import services
from mocks.sap.faults import WRITES, Decision, Faults
from mocks.sap.journal import Journal, Outcome, kept_headers
from mocks.sap.resources import ROOT, Reply, Resources, entity_set_of
from mocks.sap.security import SESSION_COOKIE, Gatekeeper
from mocks.sap.state import SapState, closed_period

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("mocks.sap")
_REQUEST_ID = re.compile(r"^[0-9A-Fa-f]{32}$")
_RFC1123 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (0[1-9]|[12]\d|3[01]) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d GMT$")


def log_request(method: str, path: str, status: int, started: float,
                detail: str = "") -> None:
    """The one log line per request: fixed text, structured fields, no
    credentials (no headers, no query, no body)."""
    log.info("request method=%s path=%s status=%s ms=%.1f%s", method, path, status,
             (time.perf_counter() - started) * 1000, detail)


class ODataEdge:
    """ASGI application answering every request under ``ROOT``."""

    def __init__(
        self, *, state: SapState, journal: Journal, faults: Faults,
        gate: Gatekeeper, resources: Resources,
    ) -> None:
        self.state = state
        self.journal = journal
        self.faults = faults
        self.gate = gate
        self.resources = resources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        body = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        method = scope["method"].upper()
        if method == "POST" and "x-http-method" in headers:
            method = headers["x-http-method"].upper()
        path = scope["path"]
        service_name, _, resource = path[len(ROOT):].partition("/")
        entity_set = entity_set_of(resource)
        try:
            reply, fault, replayed, drop, user = await self._handle(
                scope, method, service_name, resource.rstrip("/"), entity_set,
                headers, body)
        except Exception:  # noqa: BLE001 - answer SAP-shaped, never a traceback
            log.exception("request failed method=%s path=%s", method, path)
            reply, fault, replayed, drop, user = Reply.error(errors.ODataError(
                500, errors.INTERNAL, "Internal error in the SAP mock; see its log"
            )), None, False, False, ""
        if method in WRITES and reply.status not in (401, 403):
            self.journal.record(
                method=method, path=path, entity_set=entity_set,
                status=reply.status, headers=_journaled(headers, scope), user=user,
                replayed=replayed, body=body, result=reply.result, fault=fault,
            )
        request_id = headers.get("requestid")
        log_request(method, path, reply.status, started,
                    f" request_id={request_id or '-'} replayed={replayed} "
                    f"fault={fault or '-'}")
        if drop:
            await _drop(receive, send)
            return
        await _send(send, reply, head=method == "HEAD")

    async def _handle(
        self, scope: Scope, method: str, service_name: str, resource: str,
        entity_set: str, headers: dict[str, str], body: bytes,
    ) -> tuple[Reply, str | None, bool, bool, str]:
        service = services().get(service_name)
        if service is None:
            return Reply.error(errors.not_found(service_name)), None, False, False, ""
        session = self.gate.session(_cookie(headers, SESSION_COOKIE))
        user = self.gate.user_from_basic(headers.get("authorization"))
        if user is None and (session is None or "authorization" in headers):
            return _unauthorized(), None, False, False, ""
        user = user or (session.user if session else "")

        decision = self.faults.decide(service_name, entity_set, method, body,
                                      self.state.sap_material)
        if decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        early = await _early_fault(decision)
        if early is not None:
            return early, decision.kind, False, decision.kind == "reset", user

        extra: dict[str, str] = {}
        if method in ("GET", "HEAD") and headers.get("x-csrf-token", "").lower() \
                == "fetch":
            session = session if session and session.user == user else \
                self.gate.open_session(user)
            extra["x-csrf-token"] = session.token
            extra["set-cookie"] = f"{SESSION_COOKIE}={session.id}; path=/; HttpOnly"
        if method in WRITES and not self.gate.token_valid(
                session, headers.get("x-csrf-token")):
            reply = Reply(403, b"CSRF token validation failed",
                          {"content-type": "text/plain", "x-csrf-token": "Required"})
            return reply, None, False, False, user
        if decision.kind in ("locked", "closed_period") and decision.rule:
            reply = _business_fault(decision, self.state.sap_material)
            return reply, decision.kind, False, False, user

        try:
            request_id = _repeatability(method, headers)
        except errors.ODataError as error:
            return Reply.error(error), None, False, False, user
        reply, replayed = self._execute(service_name, method, resource, scope,
                                        headers, body, user, request_id)
        reply.headers.update(extra)
        lost = decision.kind == "lost_ack"
        return reply, decision.kind if lost else None, replayed, lost, user

    def _execute(
        self, service_name: str, method: str, resource: str, scope: Scope,
        headers: dict[str, str], body: bytes, user: str, request_id: str | None,
    ) -> tuple[Reply, bool]:
        service = services()[service_name]
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                               keep_blank_values=True))
        host = _host(scope, headers)
        with self.state.lock:
            if request_id is not None:
                first = self.journal.outcome(request_id)
                if first is not None:
                    replay = Reply(first.status, first.body, dict(first.headers),
                                   first.result)
                    replay.headers["repeatabilityresult"] = "accepted"
                    return replay, True
            if resource == "$batch" and method == "POST":
                reply = run_batch(self.resources, service, headers, body, user,
                                  host, self.journal, scope["path"])
            else:
                reply = self.resources.execute(service, method, resource, query,
                                               headers, body, user, host)
            if request_id is not None and reply.status < 300:
                self.journal.remember(request_id, Outcome(
                    reply.status, reply.body, tuple(reply.headers.items()),
                    reply.result))
        return reply, False


def _repeatability(method: str, headers: dict[str, str]) -> str | None:
    """The ``RequestID`` of a repeatable POST, after checking both headers.

    SAP Gateway's repeatable requests carry ``RequestID`` (a GUID as 32 hex
    characters) and ``RepeatabilityCreation`` (an RFC 1123 date) together.
    """
    request_id = headers.get("requestid")
    creation = headers.get("repeatabilitycreation")
    if method != "POST" or (request_id is None and creation is None):
        return None
    if request_id is None:
        raise errors.bad_header("RequestID", "is required with RepeatabilityCreation")
    if not _REQUEST_ID.match(request_id):
        raise errors.bad_header(
            "RequestID", f"'{request_id[:60]}' is not a GUID of 32 hex characters")
    if creation is None:
        raise errors.bad_header("RepeatabilityCreation", "is required with RequestID")
    if not _RFC1123.match(creation):
        raise errors.bad_header(
            "RepeatabilityCreation",
            f"'{creation[:60]}' is not an RFC 1123 date like "
            "'Thu, 03 Dec 2026 10:00:00 GMT'")
    return request_id.upper()


def _journaled(headers: dict[str, str], scope: Scope) -> dict[str, str]:
    kept = kept_headers(headers)
    query = scope.get("query_string", b"")
    if b"sap-client=" in query:
        client = dict(parse_qsl(query.decode("latin-1"))).get("sap-client")
        if client is not None:
            kept["sap-client"] = client
    return kept


async def _early_fault(decision: Decision) -> Reply | None:
    rule = decision.rule
    if decision.kind == "outage":
        return Reply.error(errors.ODataError(
            503, errors.SERVICE_DOWN, "Service is temporarily unavailable"))
    if decision.kind == "error" and rule is not None:
        status = rule.status or 500
        return Reply.error(errors.ODataError(
            status, errors.SERVICE_DOWN, f"Injected error (HTTP {status})"))
    if decision.kind == "hang" and rule is not None:
        await asyncio.sleep(rule.hang_ms / 1000)
        return Reply.error(errors.ODataError(
            504, "/IWFND/CM_BEC/020", "Gateway timeout"))
    if decision.kind == "reset":
        return Reply(0)
    return None


def _business_fault(decision: Decision, sap_material: Callable[[str], str]) -> Reply:
    rule = decision.rule
    assert rule is not None
    if decision.kind == "locked":
        material = sap_material(rule.material) if rule.material else "(the material)"
        return Reply.error(errors.business(
            errors.LOCKED,
            f"The plant data of the material {material} is locked by the user "
            f"{rule.user}", "Material"))
    return Reply.error(closed_period(datetime.now(UTC)))


def _unauthorized() -> Reply:
    return Reply(401, b"Logon failed", {
        "content-type": "text/plain",
        "www-authenticate": 'Basic realm="SAP NetWeaver Application Server [PTW/100]"',
    })


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while message.get("more_body"):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


def _cookie(headers: dict[str, str], name: str) -> str | None:
    cookies = headers.get("cookie")
    if not cookies:
        return None
    for pair in cookies.split(";"):
        key, sep, value = pair.strip().partition("=")
        if sep and key == name:
            return value.strip('"')
    return None


def _host(scope: Scope, headers: dict[str, str]) -> str:
    host = headers.get("host") or "localhost"
    return f"{scope.get('scheme', 'http')}://{host}"


async def _send(send: Send, reply: Reply, head: bool = False) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1"))
               for k, v in reply.headers.items()]
    headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status,
                "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else reply.body})


async def _drop(receive: Receive, send: Send) -> None:
    """End the connection without an answer.

    Under uvicorn the request's ``receive`` belongs to the cycle that owns the
    socket, so the connection is aborted before a status line is written.
    Elsewhere an answer is started and left unfinished, which clients also
    see as a broken connection.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        await receive()  # the server notices the disconnect and stays quiet
        return
    await send({"type": "http.response.start", "status": 502,
                "headers": [(b"content-length", b"1048576")]})
