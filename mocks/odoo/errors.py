"""Odoo's error shapes on each of its wire protocols.

Odoo raises ``odoo.exceptions.*`` inside a call; the RPC layer turns them into
an XML-RPC fault (integer codes under ``/xmlrpc/2/``, string codes under the
older ``/xmlrpc/``), a JSON-RPC ``error`` object, or, in Odoo 19's JSON-2 API,
an HTTP status with a JSON body.  ``OdooError`` carries what all of them need.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

from contracts import PlantTwinError

# XML-RPC fault codes under /xmlrpc/2/ (odoo/addons/base/controllers/rpc.py).
APPLICATION_ERROR = 1
WARNING = 2
ACCESS_DENIED = 3
ACCESS_ERROR = 4

SERIALIZATION_TEXT = "could not serialize access due to concurrent update"

_ODOO_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/usr/lib/python3/dist-packages/odoo/http.py", line 2150, in _serve_db\n'
    "    return service_model.retrying(self._serve_ir_http, self.env)\n"
    '  File "/usr/lib/python3/dist-packages/odoo/service/model.py", line 152, '
    "in retrying\n"
    "    result = func()\n"
)


class OdooMockError(PlantTwinError):
    """Base of the Odoo mock's own errors (configuration, master data)."""


class OdooError(Exception):
    """An exception as Odoo raises it inside a call.

    ``name`` is the exception's qualified class name (``odoo.exceptions.
    UserError``), ``code`` the XML-RPC fault code under ``/xmlrpc/2/``.
    """

    def __init__(
        self, name: str, message: str, code: int, debug: str | None = None,
        status: int | None = None, arguments: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.code = code
        shown = name.removeprefix("builtins.")
        self.debug = debug or f"{_ODOO_TRACE}{shown}: {message}\n"
        self.status = status
        self.arguments = arguments if arguments is not None else [message]

    @property
    def short(self) -> str:
        """``UserError``, ``AccessError``, ... (the old string fault codes)."""
        return self.name.rsplit(".", 1)[-1]

    def json_data(self, context: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a JSON-RPC error, also the JSON-2 error body."""
        return {
            "name": self.name,
            "message": self.message,
            "arguments": list(self.arguments),
            "context": dict(context or {}),
            "debug": self.debug,
        }

    def json2_status(self) -> int:
        """The HTTP status of Odoo 19's JSON-2 API (``http_status`` of the
        exception class).

        Known deviation: Odoo answers 500 for any exception that is not a
        UserError (an unknown field in ``read``, a serialization failure). The
        mock answers 422 for those caused by the request and 409 for the
        serialization conflict, with Odoo's own error body, because PlantTwin
        never answers bad input with a 500.
        """
        if self.status is not None:
            return self.status
        return _HTTP_STATUS.get(self.short, 422)

    def xmlrpc_fault(self) -> xmlrpc.client.Fault:
        """The fault under ``/xmlrpc/2/`` (integer codes)."""
        text = self.message if self.code != APPLICATION_ERROR else self.debug
        return xmlrpc.client.Fault(self.code, text)

    def legacy_fault(self) -> xmlrpc.client.Fault:
        """The fault under the older ``/xmlrpc/`` (string codes)."""
        if self.short == "AccessDenied":
            return _fault("AccessDenied", self.message)
        if self.short in ("MissingError", "AccessError"):
            return _fault(f"warning -- {self.short}\n\n{self.message}", "")
        if self.code in (WARNING, ACCESS_ERROR):
            return _fault(f"warning -- UserError\n\n{self.message}", "")
        return _fault(self.message, self.debug)


_HTTP_STATUS = {"AccessDenied": 403, "AccessError": 403, "MissingError": 404,
                "LockError": 409, "SerializationFailure": 409}


def _fault(code: str, text: str) -> xmlrpc.client.Fault:
    """A fault with a string code (``xmlrpc.client`` types it as int)."""
    return xmlrpc.client.Fault(code, text)  # type: ignore[arg-type]


def user_error(message: str) -> OdooError:
    return OdooError("odoo.exceptions.UserError", message, WARNING)


def validation_error(message: str) -> OdooError:
    return OdooError("odoo.exceptions.ValidationError", message, WARNING)


def missing_error(model: str, ids: list[int], uid: int) -> OdooError:
    records = f"{model}({', '.join(str(i) for i in ids)},)"
    message = (
        "Record does not exist or has been deleted.\n"
        f"(Record: {records}, User: {uid})"
    )
    return OdooError("odoo.exceptions.MissingError", message, WARNING)


def access_error(message: str) -> OdooError:
    return OdooError("odoo.exceptions.AccessError", message, ACCESS_ERROR)


def access_denied() -> OdooError:
    return OdooError("odoo.exceptions.AccessDenied", "Access Denied", ACCESS_DENIED)


def value_error(message: str) -> OdooError:
    """A Python ``ValueError`` inside Odoo: an application error (code 1)."""
    return OdooError("builtins.ValueError", message, APPLICATION_ERROR)


def serialization_failure() -> OdooError:
    """PostgreSQL's serialization failure after Odoo ran out of retries.

    ``odoo.service.model.retrying`` retries a transaction five times and then
    re-raises psycopg2's exception, whose text ends with a newline.
    """
    text = f"{SERIALIZATION_TEXT}\n"
    return OdooError(
        "psycopg2.errors.SerializationFailure", text, APPLICATION_ERROR,
        f"{_ODOO_TRACE}psycopg2.errors.SerializationFailure: {text}\n",
    )


def method_missing(model: str, method: str) -> OdooError:
    """``get_public_method``: the model has no such method."""
    return OdooError("builtins.AttributeError",
                     f"The method '{model}.{method}' does not exist",
                     APPLICATION_ERROR)


def private_method(model: str, method: str) -> OdooError:
    return access_error(
        f"Private methods (such as '{model}.{method}') cannot be called remotely."
    )


def http_error(status: int, description: str) -> OdooError:
    """A werkzeug HTTP exception as the JSON-2 API serializes it."""
    names = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound",
             422: "UnprocessableEntity"}
    return OdooError(f"werkzeug.exceptions.{names[status]}", description,
                     APPLICATION_ERROR, status=status,
                     arguments=[description, status])


def from_exception(exc: BaseException) -> OdooError:
    """Any exception, shaped as Odoo shapes an unexpected one (application
    error, code 1).  ``debug`` is an Odoo-like traceback, not the mock's own:
    the mock's files are no part of what a client may see."""
    if isinstance(exc, OdooError):
        return exc
    kind = type(exc)
    name = f"{kind.__module__}.{kind.__qualname__}"
    return OdooError(name, str(exc), APPLICATION_ERROR)
