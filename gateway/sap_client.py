"""An OData V2 client for SAP S/4HANA writes, as SAP Gateway expects them.

Basic auth, ``sap-client``, the CSRF handshake (``x-csrf-token: Fetch`` on a
GET of the service root; the token and the session cookie go with every
write, and a ``403`` answering ``x-csrf-token: Required`` fetches a new one),
and SAP Gateway's repeatable requests: ``RequestID`` (32 uppercase hex
characters derived from the event id) and ``RepeatabilityCreation`` (RFC
1123), so that a resent write whose first answer was lost posts nothing twice.

Answers are sorted into what the worker does next: a timeout, a broken
connection, a 5xx or a locked material (``M3/897``) is transient; a stock
deficit (``M7/021``) is a ``DeficitError``; any other business error is
permanent and carries SAP's own code and message.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx

from gateway.config import SapDestination
from gateway.errors import DeficitError, PermanentError, TransientError
from gateway.sap_mapping import SapPosting

SERVICE_ROOT = "/sap/opu/odata/sap"
LOCKED_MATERIAL = "M3/897"
STOCK_DEFICIT = "M7/021"
_TRANSIENT_STATUS = {408, 425, 429}


def request_id(event_id: str) -> str:
    """SAP Gateway's ``RequestID`` for an event: stable across retries and
    restarts, so that SAP recognises a resend."""
    return uuid.uuid5(uuid.NAMESPACE_URL, event_id).hex.upper()


def repeatability_creation(moment: float) -> str:
    return format_datetime(datetime.fromtimestamp(moment, UTC), usegmt=True)


class SapSession:
    """One SAP Gateway session: a few keep-alive connections sharing one
    cookie and one CSRF token."""

    def __init__(
        self, config: SapDestination, connections: int, tls: ssl.SSLContext
    ) -> None:
        params = {"sap-client": config.client} if config.client else {}
        self.client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"),
            verify=tls,
            auth=(config.user, config.password),
            timeout=config.timeout_s,
            params=params,
            headers={"Accept": "application/json"},
            limits=httpx.Limits(
                max_connections=connections, max_keepalive_connections=connections
            ),
        )
        self.token: str | None = None
        self.token_lock = asyncio.Lock()


class SapClient:
    """Writes to one SAP system over a few sessions.

    The writes of a destination's workers are spread over sessions of
    ``CONNECTIONS_PER_SESSION`` connections each rather than one pool of
    them all: httpx checks every pooled connection whenever a request
    starts or ends, which costs more than the request itself once the pool
    is large.
    """

    CONNECTIONS_PER_SESSION = 2

    def __init__(self, config: SapDestination) -> None:
        count = max(1, -(-config.workers // self.CONNECTIONS_PER_SESSION))
        tls = ssl.create_default_context()  # one for all sessions: it is costly
        self._sessions = [
            SapSession(config, self.CONNECTIONS_PER_SESSION, tls) for _ in range(count)
        ]
        self._turn = itertools.cycle(self._sessions)

    async def close(self) -> None:
        for session in self._sessions:
            await session.client.aclose()

    async def create(
        self, posting: SapPosting, idempotency: tuple[str, float] | None
    ) -> dict[str, Any]:
        """POST ``posting``; ``idempotency`` is (RequestID, creation time) or
        None to send the write without repeatable-request headers."""
        session = next(self._turn)
        path = f"{SERVICE_ROOT}/{posting.service}/{posting.entity_set}"
        for _ in range(2):
            token = await _session_token(session, posting.service)
            headers = {"x-csrf-token": token, "Content-Type": "application/json"}
            if idempotency is not None:
                headers["RequestID"] = idempotency[0]
                headers["RepeatabilityCreation"] = repeatability_creation(
                    idempotency[1]
                )
            response = await _send(session, "POST", path, posting.body, headers)
            if (
                response.status_code == 403
                and response.headers.get("x-csrf-token", "").lower() == "required"
            ):
                if session.token == token:  # not renewed by another write yet
                    session.token = None
                continue
            return _answer(response)
        raise TransientError("CSRF", "SAP refused the CSRF token twice")


async def _session_token(session: SapSession, service: str) -> str:
    """The session's CSRF token; one fetch at a time, so that parallel
    writes share the session instead of racing to open several."""
    token = session.token
    if token is not None:
        return token
    async with session.token_lock:
        if session.token is None:
            response = await _send(
                session, "GET", f"{SERVICE_ROOT}/{service}/", None,
                {"x-csrf-token": "Fetch"},
            )
            fetched: str | None = response.headers.get("x-csrf-token")
            if response.status_code >= 400 or not fetched:
                _answer(response)
                raise TransientError("CSRF", "SAP sent no CSRF token")
            session.token = fetched
        return session.token


async def _send(
    session: SapSession,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> httpx.Response:
    try:
        return await session.client.request(method, path, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise TransientError("TIMEOUT", f"{type(exc).__name__} on {path}") from None
    except httpx.TransportError as exc:
        raise TransientError("CONNECTION", f"{type(exc).__name__} on {path}") from None


def _answer(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    if status < 400:
        try:
            body = response.json()
        except ValueError:
            return {}
        result: dict[str, Any] = body.get("d", body) if isinstance(body, dict) else {}
        return result
    code, message = _sap_error(response)
    if status >= 500 or status in _TRANSIENT_STATUS:
        raise TransientError(code or f"HTTP{status}", message)
    if code == LOCKED_MATERIAL:
        raise TransientError(code, message)
    if code == STOCK_DEFICIT:
        raise DeficitError(code, message)
    raise PermanentError(code or f"HTTP{status}", message)


def _sap_error(response: httpx.Response) -> tuple[str, str]:
    """SAP's error code and message (``{"error": {"code", "message":
    {"value"}}}``), or the status line when the body says nothing."""
    try:
        body = response.json()
    except ValueError:
        return "", f"HTTP {response.status_code}: {response.text[:200]}"
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if not isinstance(error, dict):
        return "", f"HTTP {response.status_code}"
    message = error.get("message", "")
    if isinstance(message, dict):
        message = message.get("value", "")
    return str(error.get("code", "")), str(message) or f"HTTP {response.status_code}"
