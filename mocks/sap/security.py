"""Basic authentication, sessions and the CSRF token handshake.

SAP Gateway authenticates with Basic auth (or an existing session cookie),
hands out a CSRF token on a GET or HEAD carrying ``x-csrf-token: Fetch`` and
binds it to the session cookie it sets; a write without that session's token
is refused with 403 and ``x-csrf-token: Required``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from dataclasses import dataclass

DEFAULT_USERS = {"PLANTTWIN": "planttwin"}
SESSION_COOKIE = "SAP_SESSIONID_PTW_100"


@dataclass
class Session:
    id: str
    user: str
    token: str


class Gatekeeper:
    """Users, sessions and CSRF tokens of one mock."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = dict(users or DEFAULT_USERS)
        self._sessions: dict[str, Session] = {}
        self._proven: dict[str, str] = {}  # Authorization header -> user
        self._lock = threading.Lock()

    def user_from_basic(self, header: str | None) -> str | None:
        """The user a Basic ``Authorization`` header proves, else None."""
        if not header:
            return None
        proven = self._proven.get(header)
        if proven is not None:
            return proven
        user = self._check_basic(header)
        if user is not None:
            with self._lock:
                self._proven[header] = user
        return user

    def _check_basic(self, header: str) -> str | None:
        if not header.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        expected = self.users.get(user) or self.users.get(user.upper())
        if expected is None or not secrets.compare_digest(expected, password):
            return None
        return user.upper()

    def session(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            return self._sessions.get(session_id)

    def open_session(self, user: str) -> Session:
        session = Session(secrets.token_urlsafe(24), user, secrets.token_urlsafe(18))
        with self._lock:
            self._sessions[session.id] = session
        return session

    def token_valid(self, session: Session | None, token: str | None) -> bool:
        return (
            session is not None
            and token is not None
            and secrets.compare_digest(session.token, token)
        )
