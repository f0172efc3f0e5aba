"""SAP's error shape: message class and number, text, error details.

SAP Gateway answers every failed request with
``{"error": {"code": "<class>/<number>", "message": {"lang", "value"},
"innererror": {"errordetails": [...]}}}``; informational messages of a
successful request travel in the ``sap-message`` header as JSON.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts import PlantTwinError

# Message classes and numbers the mock answers with.  M7/021, M3/897 and
# M7/053 are SAP's and the ones the gateway depends on (docs/INTERFACES.md);
# the other numbers are the mock's own picks in SAP's message classes (M7
# inventory management, RU confirmations, /IWBEP/ and /IWFND/ Gateway).
DEFICIT = "M7/021"
LOCKED = "M3/897"
CLOSED_PERIOD = "M7/053"
BATCH_REQUIRED = "M7/018"
UNKNOWN_UNIT = "M7/042"
UNKNOWN_MATERIAL = "M7/001"
UNKNOWN_LOCATION = "M7/002"
MOVEMENT_TYPE = "M7/082"
NOT_RELEASED = "RU/155"
TECHNICALLY_COMPLETED = "RU/157"
OVER_CONFIRMATION = "RU/011"
UNKNOWN_ORDER = "RU/101"
UNKNOWN_OPERATION = "RU/102"
ALREADY_REVERSED = "RU/422"
BAD_INPUT = "/IWBEP/CM_MGW_RT/020"
NOT_FOUND = "/IWBEP/CM_MGW_RT/004"
BAD_METHOD = "/IWBEP/CM_MGW_RT/021"
PRECONDITION = "/IWBEP/CM_MGW_RT/022"
SERVICE_DOWN = "/IWFND/CM_BEC/026"
INTERNAL = "/IWBEP/CM_MGW_RT/000"
ALREADY_CONFIRMED = "RU/153"
UNKNOWN_VARIANCE_REASON = "RU/354"


class SapMockError(PlantTwinError):
    """Base of the SAP mock's own errors (configuration, master data)."""


@dataclass
class ODataError(SapMockError):
    """A request SAP would refuse: status, message code and text."""

    status: int
    code: str
    text: str
    target: str = ""
    details: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.text}")

    def body(self) -> dict[str, Any]:
        """The JSON body SAP Gateway sends for this error."""
        detail = {
            "code": self.code,
            "message": self.text,
            "propertyref": self.target,
            "severity": "error",
            "target": self.target,
        }
        return {
            "error": {
                "code": self.code,
                "message": {"lang": "en", "value": self.text},
                "innererror": {
                    "transactionid": uuid.uuid4().hex.upper(),
                    "timestamp": datetime.now(UTC).strftime("%Y%m%d%H%M%S.%f"),
                    "errordetails": [detail, *self.details],
                },
            }
        }


def bad_input(target: str, text: str) -> ODataError:
    """400 for a payload that breaks the service's metadata."""
    return ODataError(400, BAD_INPUT, f"Property '{target}': {text}", target=target)


def bad_header(name: str, text: str) -> ODataError:
    """400 for a request header SAP Gateway refuses."""
    return ODataError(400, BAD_INPUT, f"Header '{name}': {text}", target=name)


def required(target: str) -> ODataError:
    """400 for a property a create cannot do without."""
    return bad_input(target, "is required")


def not_found(what: str) -> ODataError:
    return ODataError(404, NOT_FOUND, f"Resource not found for segment '{what}'")


def business(code: str, text: str, target: str = "") -> ODataError:
    """A business rule refused the posting (SAP answers 400)."""
    return ODataError(400, code, text, target=target)


def sap_message(code: str, text: str, severity: str = "success") -> str:
    """The ``sap-message`` header value for an informational message."""
    return json.dumps(
        {"code": code, "message": text, "severity": severity, "target": "",
         "details": []}
    )
