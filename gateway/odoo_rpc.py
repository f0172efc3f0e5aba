"""Odoo's external API over JSON-RPC (``/jsonrpc``, ``execute_kw``).

Errors are sorted for the worker: timeouts, connection errors, 5xx and
PostgreSQL serialization failures ("could not serialize access") are
transient; any other Odoo error is permanent and keeps Odoo's own message.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from gateway.errors import PermanentError, TransientError


class OdooRpc:
    """``execute_kw`` over JSON-RPC with one authenticated uid."""

    def __init__(
        self, url: str, db: str, login: str, secret: str, timeout: float
    ) -> None:
        self.db, self.login, self._secret = db, login, secret
        self._client = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout)
        self._ids = itertools.count(1)
        self._uid: int | None = None

    async def close(self) -> None:
        await self._client.aclose()

    async def call(self, service: str, method: str, *args: Any) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
            "id": next(self._ids),
        }
        try:
            response = await self._client.post("/jsonrpc", json=body)
        except httpx.TimeoutException:
            raise TransientError("TIMEOUT", "Odoo did not answer in time") from None
        except httpx.TransportError as exc:
            raise TransientError("CONNECTION", type(exc).__name__) from None
        if response.status_code >= 500:
            raise TransientError(f"HTTP{response.status_code}", response.text[:200])
        try:
            answer = response.json()
        except ValueError:
            raise TransientError(
                f"HTTP{response.status_code}", "Odoo answered without JSON"
            ) from None
        if not isinstance(answer, dict):
            raise PermanentError("BAD_ANSWER", "Odoo's answer is not a JSON object")
        if "error" in answer:
            raise odoo_error(answer["error"])
        return answer.get("result")

    async def execute(
        self, model: str, method: str, args: list[Any], **kwargs: Any
    ) -> Any:
        """``model.method(*args, **kwargs)`` as the integration user."""
        if self._uid is None:
            uid = await self.call(
                "common", "authenticate", self.db, self.login, self._secret, {}
            )
            if not uid:
                raise PermanentError("AccessDenied", "Odoo refused the login")
            self._uid = int(uid)
        return await self.call(
            "object", "execute_kw", self.db, self._uid, self._secret, model, method,
            args, kwargs,
        )


def odoo_error(error: Any) -> TransientError | PermanentError:
    """Odoo's JSON-RPC error as a delivery error, with Odoo's words."""
    error = error if isinstance(error, dict) else {"message": str(error)}
    data = error.get("data") or {}
    name = str(data.get("name") or error.get("message") or "OdooError")
    message = str(data.get("message") or error.get("message") or "")
    code = name.rsplit(".", 1)[-1]
    if "SerializationFailure" in name or "could not serialize" in message:
        return TransientError(code, message[:500])
    return PermanentError(code, message[:500])
