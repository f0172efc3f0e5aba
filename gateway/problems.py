"""RFC 9457 problem details and the bearer-key checks of the HTTP API."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from gateway.runtime import Gateway

PROBLEM_TYPE = "application/problem+json"
_BASE = "https://planttwin.dev/problems/"


class Problem(Exception):
    """An HTTP error answered as ``application/problem+json``."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers

    def response(self, instance: str) -> JSONResponse:
        body: dict[str, Any] = {
            "type": _BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return JSONResponse(
            body, status_code=self.status, media_type=PROBLEM_TYPE, headers=self.headers
        )


async def problem_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.response(request.url.path)


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "unauthenticated",
            "Missing credentials",
            "Authorization: a 'Bearer <key>' header is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def plant_of(request: Request) -> str:
    """The plant whose key signed the request (401 when none does)."""
    token = _bearer(request)
    plant = gateway_of(request).keys.get(token)
    if plant is None:
        raise Problem(
            401,
            "unauthenticated",
            "Unknown key",
            "Authorization: the bearer key is not a plant key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return plant


def require_operator(request: Request) -> None:
    """The operations endpoints take the operator key only."""
    token = _bearer(request)
    gateway = gateway_of(request)
    if token != gateway.config.operator_key:
        if token in gateway.keys:
            raise Problem(
                403,
                "forbidden",
                "Operator key required",
                "Authorization: a plant key may not use the operations endpoints",
            )
        raise Problem(
            401,
            "unauthenticated",
            "Unknown key",
            "Authorization: the bearer key is not the operator key",
            headers={"WWW-Authenticate": "Bearer"},
        )
