"""The journal of write requests and SAP Gateway's repeatability store.

Every write request is journaled in arrival order for the oracle, with the
request headers that decide what SAP does (``RequestID``,
``RepeatabilityCreation``, ``sap-client``, ``If-Match``) and the user. A POST
that carries ``RequestID`` and ``RepeatabilityCreation`` is executed once:
SAP Gateway stores its outcome in the same transaction as the business data,
so a successful outcome is answered again to every repeat (with
``RepeatabilityResult: accepted``) while a refused request left nothing
behind and is executed again when repeated. A POST without those headers is
executed every time, as in the real system.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Request headers the journal keeps (the ones that decide what SAP does).
_KEPT = {"requestid": "RequestID", "repeatabilitycreation": "RepeatabilityCreation",
         "sap-client": "sap-client", "if-match": "If-Match"}


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    """The journaled headers of a request (names as SAP spells them)."""
    return {name: headers[key] for key, name in _KEPT.items() if key in headers}


@dataclass(frozen=True)
class Outcome:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    result: Any = None


def decoded(body: bytes) -> Any:
    """A request body as the journal shows it: JSON when it is JSON."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:2000].decode("utf-8", "replace")


class Journal:
    """Write requests in arrival order, and the first outcome per RequestID.

    Bodies are kept as received and decoded when the journal is read, so
    that journaling costs a posting next to nothing.
    """

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []
        self._raw: list[bytes] = []  # bodies not yet decoded, in order
        self._outcomes: dict[str, Outcome] = {}
        self._lock = threading.Lock()

    def record(
        self,
        *,
        method: str,
        path: str,
        entity_set: str,
        status: int,
        headers: dict[str, str],
        replayed: bool,
        body: bytes,
        result: Any,
        user: str = "",
        fault: str | None = None,
    ) -> None:
        entry = {
            "seq": 0,
            "received_at": datetime.now(UTC).isoformat(),
            "method": method,
            "path": path,
            "entity_set": entity_set,
            "status": status,
            "request_id": headers.get("RequestID"),
            "replayed": replayed,
            "user": user,
            "headers": headers,
            "body": None,
            "result": result,
        }
        if fault:
            entry["fault"] = fault
        with self._lock:
            entry["seq"] = len(self._entries) + 1
            self._entries.append(entry)
            self._raw.append(body)

    def entries(self) -> list[dict[str, Any]]:
        """Every journaled write, oldest first (bodies decoded once)."""
        with self._lock:
            first = len(self._entries) - len(self._raw)
            for offset, raw in enumerate(self._raw):
                self._entries[first + offset]["body"] = decoded(raw)
            self._raw.clear()
            return list(self._entries)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def outcome(self, request_id: str) -> Outcome | None:
        with self._lock:
            return self._outcomes.get(request_id)

    def remember(self, request_id: str, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes.setdefault(request_id, outcome)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._raw.clear()
            self._outcomes.clear()
