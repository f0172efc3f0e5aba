"""The Odoo mock's server side: users, services, one transaction per call.

``OdooServer`` answers the ``common``, ``db`` and ``object`` services that
XML-RPC, JSON-RPC, the web session routes and the JSON-2 API all lead to.
Every object call runs under one lock, in its own transaction: concurrent
requests are serialized, so no update is lost, and a failing call leaves no
trace.  Faults from ``/_mock/faults`` are applied here.

Default database ``planttwin``.  Users (login / password / API key):
``admin`` / ``admin`` / ``odoo-api-key-admin`` in every company;
``integration`` / ``planttwin`` / ``odoo-api-key-planttwin`` in every plant's
company (not in company 1, ``YourCompany``); and per plant
``plant-<code>`` (lower case) / ``planttwin`` / ``odoo-api-key-plant-<code>``
in that plant's company only.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contracts import MasterData
from mocks.odoo import grouping as _grouping  # noqa: F401  (registers read_group)
from mocks.odoo import methods
from mocks.odoo import mrp as _mrp  # noqa: F401  (registers its rules)
from mocks.odoo import picking as _picking  # noqa: F401
from mocks.odoo import shopfloor as _shopfloor  # noqa: F401
from mocks.odoo.errors import (
    OdooError,
    OdooMockError,
    access_denied,
    access_error,
    from_exception,
    http_error,
    method_missing,
    private_method,
    serialization_failure,
    user_error,
)
from mocks.odoo.faults import Faults, Journal, summarize
from mocks.odoo.fields import MODELS
from mocks.odoo.orm import LANGUAGES, Database, Env
from mocks.odoo.seed import seed

DATABASE = "planttwin"
VERSION = "19.0"
VERSION_INFO: list[Any] = [19, 0, 0, "final", 0, ""]
ABOUT = "See http://openerp.com"


class Outage(Exception):
    """The server is down (HTTP 503); nothing was applied."""


class LostAck(Exception):
    """The call was applied but its answer is lost (HTTP 504)."""


@dataclass
class User:
    uid: int
    login: str
    password: str
    api_key: str
    company_ids: list[int]
    tz: str = "UTC"


@dataclass
class Call:
    """One object call as any protocol delivers it.

    ``ids`` is set by the JSON-2 API only: its body names every argument, and
    the record ids travel apart from them.
    """

    protocol: str
    path: str
    model: str
    method: str
    args: list[Any]
    kwargs: dict[str, Any]
    uid: int
    ids: Any = None


@dataclass
class _Method:
    function: Callable[..., Any]
    prefix: tuple[Any, ...]
    on_records: bool


@dataclass
class OdooServer:
    master: MasterData | None = None
    faults: Faults = field(default_factory=Faults)
    journal: Journal = field(default_factory=Journal)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.sessions: dict[str, int] = {}
        self.reset()

    def reset(self, master: MasterData | None = None, keep_faults: bool = False
              ) -> None:
        """Back to the master data's state (replacing it when given).

        Master data the seed cannot load raises ``OdooMockError`` and leaves
        the server as it was."""
        with self.lock:
            chosen = master if master is not None else self.master
            db = Database()
            try:
                ids = seed(db, chosen)
            except (KeyError, ValueError, OdooError) as exc:
                raise OdooMockError(f"master data: cannot load into Odoo: {exc}"
                                    ) from None
            self.master, self.db, self.ids = chosen, db, ids
            self.users = self._users()
            self.sessions.clear()
            self.journal.clear()
            if not keep_faults:
                self.faults.clear()

    def _users(self) -> dict[int, User]:
        everyone = sorted(self.db.tables["res.company"])
        plants = sorted(self.ids.companies.values())
        tz = self.master.plants[0].timezone if self.master else "UTC"
        users = [
            User(1, "__system__", secrets.token_hex(16), "", everyone),
            User(2, "admin", "admin", "odoo-api-key-admin", everyone, tz),
            User(3, "integration", "planttwin", "odoo-api-key-planttwin",
                 plants or everyone, tz),
        ]
        for code, company in self.ids.companies.items():
            plant_tz = self.master.plant(code).timezone if self.master else "UTC"
            users.append(User(len(users) + 1, f"plant-{code.lower()}", "planttwin",
                              f"odoo-api-key-plant-{code.lower()}", [company],
                              plant_tz))
        for user in users:
            self.db.insert("res.users", {
                "name": user.login.title(), "login": user.login,
                "company_id": user.company_ids[0], "company_ids": user.company_ids,
                "tz": user.tz})
        return {user.uid: user for user in users}

    # Authentication -----------------------------------------------------------

    def login(self, db: Any, login: Any, password: Any) -> int | bool:
        if db != DATABASE or not isinstance(password, str) or not password:
            return False
        for user in self.users.values():
            if user.uid != 1 and user.login == login and password in (
                    user.password, user.api_key):
                return user.uid
        return False

    def check(self, db: Any, uid: Any, password: Any) -> User:
        user = self.users.get(uid) if isinstance(uid, int) else None
        if db != DATABASE or user is None or user.uid == 1 or not isinstance(
                password, str) or password not in (user.password, user.api_key):
            raise access_denied()
        return user

    def by_api_key(self, key: str) -> User | None:
        for user in self.users.values():
            if user.api_key and secrets.compare_digest(user.api_key, key):
                return user
        return None

    def open_session(self, uid: int) -> str:
        sid = secrets.token_hex(20)
        self.sessions[sid] = uid
        return sid

    def user_context(self, user: User) -> dict[str, Any]:
        return {"lang": "en_US", "tz": user.tz, "uid": user.uid}

    # Services ------------------------------------------------------------------

    def common(self, method: str, args: list[Any]) -> Any:
        """The ``common`` service: ``version``, ``about``, ``login``,
        ``authenticate``."""
        if method == "version":
            _arity("version", args, 0, 0)
            return {"server_version": VERSION, "server_version_info": VERSION_INFO,
                    "server_serie": VERSION, "protocol_version": 1}
        if method == "about":
            _arity("about", args, 0, 1)
            return [ABOUT, VERSION] if args and args[0] else ABOUT
        if method == "login":
            _arity("login", args, 3, 3)
            return self.login(*args)
        if method == "authenticate":
            _arity("authenticate", args, 4, 4)
            return self.login(*args[:3])
        raise from_exception(NameError(f"Method not available {method}"))

    def database(self, method: str, args: list[Any]) -> Any:
        """The ``db`` service, read-only: databases cannot be managed here."""
        if method == "list":
            _arity("list", args, 0, 1)
            return [DATABASE]
        if method == "server_version":
            _arity("server_version", args, 0, 0)
            return VERSION
        if method == "db_exist":
            _arity("db_exist", args, 1, 1)
            return args[0] == DATABASE
        if method == "list_lang":
            _arity("list_lang", args, 0, 0)
            return [[code, label] for code, label in LANGUAGES.items()]
        if method in ("create_database", "duplicate_database", "drop", "dump",
                      "restore", "change_admin_password", "rename",
                      "migrate_databases", "list_countries"):
            raise access_denied()
        raise from_exception(NameError(f"Method not available {method}"))

    async def gate(self, protocol: str) -> None:
        """Latency and outage for calls outside the object service."""
        for rule in self.faults.draw(protocol, None, None, writes=False):
            if rule.kind == "latency":
                await asyncio.sleep(rule.latency_ms / 1000)
            if rule.kind == "outage":
                raise Outage()

    async def object_call(self, call: Call) -> Any:
        """Run one object call with faults, a transaction and the journal."""
        writes = call.method not in methods.READ_METHODS
        fired = self.faults.draw(call.protocol, call.model, call.method, writes)
        for rule in fired:
            if rule.kind == "latency":
                await asyncio.sleep(rule.latency_ms / 1000)
        kinds = {rule.kind for rule in fired}
        if "outage" in kinds:
            self._journal(call, writes, 503, "outage", None)
            raise Outage()
        if "serialization_failure" in kinds:
            error = serialization_failure()
            self._journal(call, writes, error.json2_status(), "error", error)
            raise error
        if "error" in kinds:
            error = from_exception(RuntimeError("injected server error"))
            self._journal(call, writes, 500, "error", error)
            raise error
        try:
            result = self.execute(call)
        except OdooError as exc:
            self._journal(call, writes, exc.json2_status(), "error", exc)
            raise
        lost = "lost_ack" in kinds
        self._journal(call, writes, 200, "lost_ack" if lost else "ok", result)
        if lost:
            raise LostAck()
        return result

    def execute(self, call: Call) -> Any:
        """The call in one transaction; any exception becomes an OdooError."""
        with self.lock:
            self.db.begin()
            try:
                result = self._dispatch(call)
            except BaseException as exc:
                self.db.rollback()
                raise from_exception(exc) from None
            self.db.commit()
            return result

    def _dispatch(self, call: Call) -> Any:
        json2 = call.ids is not None
        model, name = call.model, call.method
        if not isinstance(model, str) or not isinstance(name, str):
            raise from_exception(TypeError("model and method must be strings"))
        if model not in MODELS:
            if json2:
                raise http_error(404, f"the model {model!r} does not exist")
            raise user_error(f"Object {model} doesn't exist")
        kwargs = dict(call.kwargs)
        if any(not isinstance(key, str) for key in kwargs):
            raise from_exception(TypeError("keyword argument names must be strings"))
        env = self._env(call.uid, kwargs.pop("context", None))
        method = self._method(env, model, name, json2)
        args = list(call.args)
        if json2:
            ids = call.ids
            if not isinstance(ids, list) or not all(
                    isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise http_error(422, f"ids: {ids!r} is not a list of record ids")
            if ids and not method.on_records:
                raise http_error(422, f"cannot call {model}.{name} with ids")
            if method.on_records:
                args = [ids]
        try:
            inspect.signature(method.function).bind(*method.prefix, *args, **kwargs)
        except TypeError as exc:
            if json2:
                raise http_error(422, str(exc.args[0])) from None
            raise from_exception(TypeError(f"{model}.{name}(): {exc}")) from None
        return method.function(*method.prefix, *args, **kwargs)

    def _method(self, env: Env, model: str, name: str, json2: bool) -> _Method:
        """``get_public_method``: private names are refused, unknown ones are
        missing."""
        if name.startswith("_"):
            raise private_method(model, name)
        if (model, name) == ("res.users", "context_get"):
            user = self.users[env.uid]
            return _Method(lambda: self.user_context(user), (), False)
        action = methods.ACTIONS.get((model, name))
        if action is not None:
            return _Method(action, (self.db, env), True)
        generic = methods.GENERIC.get(name)
        if generic is not None:
            return _Method(generic, (self.db, env, model),
                           name not in methods.MODEL_METHODS)
        if json2:
            raise http_error(404, f"The method '{model}.{name}' does not exist")
        raise method_missing(model, name)

    def _env(self, uid: int, context: Any) -> Env:
        user = self.users[uid]
        context = dict(context) if isinstance(context, dict) else {}
        allowed = context.get("allowed_company_ids")
        if allowed:
            if not isinstance(allowed, list) or set(allowed) - set(user.company_ids):
                raise access_error("Access to unauthorized or invalid companies.")
            companies = list(allowed)
        else:
            companies = list(user.company_ids)
        return Env(uid, companies, companies[0], context, user.tz)

    def _journal(self, call: Call, writes: bool, status: int, outcome: str,
                 result: Any) -> None:
        if not writes:
            return
        user = self.users.get(call.uid)
        error = result if isinstance(result, OdooError) else None
        self.journal.record(
            http_method="POST", path=call.path, protocol=call.protocol,
            model=call.model, method=call.method, uid=call.uid,
            login=user.login if user else "", request_id=_event_id(call),
            replayed=False, status=status, outcome=outcome,
            error=error.name if error else None,
            body=summarize({"ids": call.ids, "args": call.args,
                            "kwargs": call.kwargs} if call.ids is not None
                           else {"args": call.args, "kwargs": call.kwargs}),
            result=None if error else summarize(result),
        )


def _arity(method: str, args: list[Any], least: int, most: int) -> None:
    if not least <= len(args) <= most:
        wanted = str(least) if least == most else f"from {least} to {most}"
        raise from_exception(TypeError(
            f"exp_{method}() takes {wanted} positional arguments but {len(args)} "
            "were given"))


def _event_id(call: Call) -> str | None:
    """The event id a write carries in ``x_event_id`` or ``origin``."""
    candidates = [*call.args, *call.kwargs.values()]
    for item in candidates:
        values = item if isinstance(item, list) else [item]
        for vals in values:
            if isinstance(vals, dict):
                found = vals.get("x_event_id") or vals.get("origin")
                if isinstance(found, str):
                    return found
    return None
