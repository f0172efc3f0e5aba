"""Odoo's RPC protocols over HTTP: XML-RPC, JSON-RPC, web session, JSON-2.

``/xmlrpc/2/<service>`` answers faults with integer codes, the older
``/xmlrpc/<service>`` with string codes; ``/jsonrpc`` and the ``/web/...``
routes answer JSON-RPC 2.0 with Odoo's ``error.data`` (code 0, "Odoo Server
Error", as Odoo 19 does); ``/json/2/<model>/<method>`` (Odoo 19) answers the
bare result, or the error's status (``http_status`` of Odoo's exception, 401
for a bad API key, 404 for an unknown model or method, 422 for arguments that
do not fit the method) with ``{name, message, arguments, context, debug}``.
An outage answers 503 and a lost acknowledgement 504 on every route.
"""

from __future__ import annotations

import json
import re
import xmlrpc.client
from collections.abc import Awaitable, Callable
from typing import Any

from defusedxml.xmlrpc import DefusedExpatParser
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from mocks.odoo.errors import OdooError, access_denied, from_exception, http_error
from mocks.odoo.server import (
    DATABASE,
    VERSION,
    VERSION_INFO,
    Call,
    LostAck,
    OdooServer,
    Outage,
)

_BEARER = re.compile(r"^bearer\s+(.+)$", re.IGNORECASE)
_SESSION_EXPIRED = {
    "name": "odoo.http.SessionExpiredException", "message": "Session expired",
    "arguments": ["Session expired"], "context": {}, "debug": "",
}
_NOT_FOUND = ("The requested URL was not found on the server. If you entered the "
              "URL manually please check your spelling and try again.")


def _parse_xml(data: bytes) -> tuple[tuple[Any, ...], str | None]:
    unmarshaller = xmlrpc.client.Unmarshaller(use_datetime=True,
                                              use_builtin_types=True)
    parser = DefusedExpatParser(unmarshaller)
    parser.feed(data)
    parser.close()
    return unmarshaller.close(), unmarshaller.getmethodname()


def _wire(value: Any) -> Any:
    """Odoo never sends None over XML-RPC: False instead."""
    if value is None:
        return False
    if isinstance(value, dict):
        return {str(key): _wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


def _object_call(protocol: str, path: str, server: OdooServer, method: str,
                 args: list[Any]) -> Call:
    """``execute`` or ``execute_kw`` of the ``object`` service as a Call."""
    if method == "execute_kw":
        if len(args) not in (6, 7):
            raise from_exception(TypeError(
                f"execute_kw() takes from 6 to 7 positional arguments but "
                f"{len(args)} were given"))
        db, uid, password, model, name, call_args = args[:6]
        kwargs = args[6] if len(args) == 7 else {}
    elif method == "execute":
        if len(args) < 5:
            raise from_exception(TypeError(
                f"execute() missing {5 - len(args)} required positional argument(s)"
                " of db, uid, password, model, method"))
        db, uid, password, model, name = args[:5]
        call_args, kwargs = list(args[5:]), {}
    else:
        raise from_exception(NameError(f"Method not available {method}"))
    user = server.check(db, uid, password)
    if not isinstance(call_args, list) or not isinstance(kwargs, dict):
        raise from_exception(TypeError(
            "execute_kw(): args must be a list and kwargs a struct"))
    return Call(protocol, path, model, name, call_args, kwargs, user.uid)


async def _service(server: OdooServer, request: Request, protocol: str,
                   service: Any, method: Any, args: Any) -> Any:
    if not isinstance(method, str) or not isinstance(args, list):
        raise from_exception(TypeError("method must be a string and args a list"))
    request.state.call = f"{service}.{method}"
    await server.gate(protocol)
    if service == "common":
        return server.common(method, args)
    if service == "db":
        return server.database(method, args)
    if service == "object":
        call = _object_call(protocol, request.url.path, server, method, args)
        return await _run(server, request, call)
    raise from_exception(KeyError(service))


async def _run(server: OdooServer, request: Request, call: Call) -> Any:
    """An object call, noted for the request's log line."""
    request.state.call = f"{call.model}.{call.method}"
    return await server.object_call(call)


def _failed(request: Request, exc: BaseException) -> OdooError:
    error = from_exception(exc)
    request.state.error = error.name
    return error


def router(server: OdooServer) -> APIRouter:
    """The RPC routes of one mock server."""
    api = APIRouter()

    async def xmlrpc_answer(request: Request, service: str, legacy: bool) -> Response:
        try:
            try:
                params, method = _parse_xml(await request.body())
            except Exception as exc:
                raise from_exception(exc) from None
            result = await _service(server, request, "xmlrpc", service,
                                    method or "", list(params))
            body = xmlrpc.client.dumps((_wire(result),), methodresponse=True)
        except Outage:
            return Response("Service Unavailable", status_code=503)
        except LostAck:
            return Response("Gateway Time-out", status_code=504)
        except Exception as exc:
            error = _failed(request, exc)
            fault = error.legacy_fault() if legacy else error.xmlrpc_fault()
            body = xmlrpc.client.dumps(fault, methodresponse=True)
        return Response(body, media_type="text/xml")

    @api.post("/xmlrpc/2/{service}")
    async def xmlrpc_2(request: Request, service: str) -> Response:
        return await xmlrpc_answer(request, service, legacy=False)

    @api.post("/xmlrpc/{service}")
    async def xmlrpc_1(request: Request, service: str) -> Response:
        return await xmlrpc_answer(request, service, legacy=True)

    @api.post("/jsonrpc")
    async def jsonrpc(request: Request) -> Response:
        async def run(params: dict[str, Any]) -> Any:
            return await _service(server, request, "jsonrpc",
                                  params.get("service"), params.get("method"),
                                  params.get("args", []))

        return await _json_call(request, run)

    @api.post("/web/webclient/version_info")
    async def version_info(request: Request) -> Response:
        async def run(params: dict[str, Any]) -> Any:
            await server.gate("web")
            return server.common("version", [])

        return await _json_call(request, run)

    @api.get("/web/version")
    async def web_version() -> Response:
        try:
            await server.gate("web")
        except Outage:
            return Response("Service Unavailable", status_code=503)
        return JSONResponse({"version_info": VERSION_INFO, "version": VERSION})

    @api.post("/web/database/list")
    async def database_list(request: Request) -> Response:
        async def run(params: dict[str, Any]) -> Any:
            await server.gate("web")
            return server.database("list", [])

        return await _json_call(request, run)

    @api.post("/web/session/authenticate")
    async def authenticate(request: Request) -> Response:
        session: dict[str, str] = {}

        async def run(params: dict[str, Any]) -> Any:
            await server.gate("web")
            uid = server.login(params.get("db"), params.get("login"),
                               params.get("password"))
            if not isinstance(uid, int) or isinstance(uid, bool):
                raise access_denied()
            user = server.users[uid]
            session["sid"] = server.open_session(uid)
            return {"uid": uid, "db": DATABASE, "username": user.login,
                    "user_context": server.user_context(user),
                    "company_id": user.company_ids[0],
                    "user_companies": {"current_company": user.company_ids[0],
                                       "allowed_companies": user.company_ids},
                    "server_version": VERSION, "server_version_info": VERSION_INFO}

        response = await _json_call(request, run)
        if "sid" in session:
            response.set_cookie("session_id", session["sid"], httponly=True)
        return response

    @api.post("/web/dataset/call_kw")
    @api.post("/web/dataset/call_kw/{rest:path}")
    async def call_kw(request: Request) -> Response:
        uid = server.sessions.get(request.cookies.get("session_id", ""))
        if uid is None:
            return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {
                "code": 100, "message": "Odoo Session Expired",
                "data": _SESSION_EXPIRED}})

        async def run(params: dict[str, Any]) -> Any:
            args, kwargs = params.get("args", []), params.get("kwargs") or {}
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise from_exception(TypeError("args must be a list, kwargs an "
                                               "object"))
            call = Call("web", request.url.path, params.get("model", ""),
                        params.get("method", ""), args, kwargs, uid)
            return await _run(server, request, call)

        return await _json_call(request, run)

    @api.post("/web/session/destroy")
    async def destroy(request: Request) -> Response:
        server.sessions.pop(request.cookies.get("session_id", ""), None)
        return JSONResponse({"jsonrpc": "2.0", "id": None, "result": None})

    @api.post("/json/2/{model}/{method}")
    async def json2(request: Request, model: str, method: str) -> Response:
        return await _json2(server, request, model, method)

    @api.api_route("/json/2", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    @api.api_route("/json/2/{rest:path}",
                   methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    async def json2_elsewhere(request: Request) -> Response:
        error = http_error(404, "Did you mean POST /json/2/<model>/<method>?")
        return JSONResponse(error.json_data(), status_code=404)

    return api


async def _json2(server: OdooServer, request: Request, model: str, method: str
                 ) -> Response:
    """One JSON-2 call: bearer API key (or a web session), named arguments."""
    headers: dict[str, str] = {}
    context: Any = {}
    try:
        database = request.headers.get("x-odoo-database")
        if database not in (None, DATABASE):
            raise http_error(404, _NOT_FOUND)
        uid = _json2_user(server, request, headers)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as exc:
            raise http_error(400, f"could not parse the body as json: {exc}") from None
        if not isinstance(body, dict):
            raise http_error(422, "the body must be a JSON object of named "
                                  "arguments")
        ids = body.pop("ids", None) or []
        context = body.get("context") or {}
        result = await _run(server, request, Call(
            "json2", request.url.path, model, method, [], body, uid, ids))
    except Outage:
        return Response("Service Unavailable", status_code=503)
    except LostAck:
        return Response("Gateway Time-out", status_code=504)
    except Exception as exc:
        error = _failed(request, exc)
        return JSONResponse(error.json_data(context if isinstance(context, dict)
                                            else {}),
                            status_code=error.json2_status(), headers=headers)
    return JSONResponse(result)


def _json2_user(server: OdooServer, request: Request, headers: dict[str, str]
                ) -> int:
    """``auth='bearer'``: the API key's user, else the web session's."""
    found = _BEARER.match(request.headers.get("authorization", ""))
    if found:
        user = server.by_api_key(found.group(1).strip())
        if user is None:
            headers["WWW-Authenticate"] = "Bearer"
            raise http_error(401, "Invalid apikey")
        return user.uid
    uid = server.sessions.get(request.cookies.get("session_id", ""))
    if uid is None:
        raise OdooError("odoo.http.SessionExpiredException", "Session expired", 1,
                        "", status=403)
    return uid


async def _json_call(request: Request,
                     run: Callable[[dict[str, Any]], Awaitable[Any]]) -> Response:
    """A JSON-RPC 2.0 exchange: ``params`` in, ``result`` or ``error`` out."""
    request_id: Any = None
    try:
        try:
            payload = json.loads(await request.body())
        except ValueError as exc:
            raise from_exception(exc) from None
        if not isinstance(payload, dict):
            raise from_exception(ValueError("A JSON-RPC request must be an object"))
        request_id = payload.get("id")
        params = payload.get("params") or {}
        if not isinstance(params, dict):
            raise from_exception(ValueError("JSON-RPC params must be an object"))
        result = await run(params)
    except Outage:
        return Response("Service Unavailable", status_code=503)
    except LostAck:
        return Response("Gateway Time-out", status_code=504)
    except Exception as exc:
        error = _failed(request, exc)
        return JSONResponse({"jsonrpc": "2.0", "id": request_id, "error": {
            "code": 0, "message": "Odoo Server Error", "data": error.json_data()}})
    return JSONResponse({"jsonrpc": "2.0", "id": request_id, "result": result})
