"""``$batch``: multipart/mixed requests with atomic change sets.

A batch holds retrieve requests and change sets; every change set succeeds
or fails as a whole (the state is rolled back when one of its requests
fails, and the change set answers with that one error). The batch itself
answers 202 with one part per request or change set, as SAP Gateway does.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from mocks.sap import errors
from mocks.sap.catalogue import Service
from mocks.sap.faults import WRITES
from mocks.sap.journal import Journal, kept_headers
from mocks.sap.resources import ROOT, Reply, entity_set_of

if TYPE_CHECKING:
    from mocks.sap.resources import Resources

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
            400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 412: "Precondition Failed",
            500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Part:
    request: _Request | None = None
    changeset: list[_Request] = field(default_factory=list)


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = f"--{boundary}".encode()
    pieces = body.split(delimiter)
    parts = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            break
        parts.append(piece.strip(b"\r\n"))
    return parts


def _headers_and_rest(blob: bytes) -> tuple[dict[str, str], bytes]:
    normalized = blob.replace(b"\r\n", b"\n")
    head, _, rest = normalized.partition(b"\n\n")
    headers = {}
    for line in head.decode("latin-1").split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _http_request(blob: bytes) -> _Request:
    text = blob.replace(b"\r\n", b"\n")
    line, _, rest = text.partition(b"\n")
    words = line.decode("latin-1").split()
    if len(words) < 2:
        raise errors.bad_input("$batch", f"'{line[:60]!r}' is not a request line")
    headers, body = _headers_and_rest(rest)
    return _Request(words[0].upper(), words[1], headers, body.strip())


def parse(body: bytes, content_type: str) -> list[_Part]:
    found = _BOUNDARY.search(content_type)
    if not found:
        raise errors.bad_input("Content-Type", "multipart/mixed needs a boundary")
    result = []
    for piece in _split(body, found.group(1)):
        headers, rest = _headers_and_rest(piece)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            inner = _BOUNDARY.search(kind)
            if not inner:
                raise errors.bad_input("$batch", "a change set needs a boundary")
            requests = []
            for sub in _split(rest, inner.group(1)):
                _, sub_rest = _headers_and_rest(sub)
                requests.append(_http_request(sub_rest))
            result.append(_Part(changeset=requests))
        else:
            result.append(_Part(request=_http_request(rest)))
    return result


def _render(reply: Reply) -> str:
    reason = _REASONS.get(reply.status, "")
    lines = [f"HTTP/1.1 {reply.status} {reason}"]
    lines += [f"{k}: {v}" for k, v in reply.headers.items()]
    lines.append(f"content-length: {len(reply.body)}")
    return "\r\n".join(lines) + "\r\n\r\n" + reply.body.decode("utf-8", "replace")


def _wrap(http: str) -> str:
    return ("Content-Type: application/http\r\n"
            "Content-Transfer-Encoding: binary\r\n\r\n" + http + "\r\n")


def run_batch(
    resources: Resources, service: Service, headers: dict[str, str], body: bytes,
    user: str, host: str, journal: Journal, path: str,
) -> Reply:
    """Execute a ``$batch`` body (the caller holds the state's lock)."""
    try:
        parts = parse(body, headers.get("content-type", ""))
    except errors.ODataError as error:
        return Reply.error(error)
    boundary = f"batchresponse_{uuid.uuid4()}"
    chunks = []

    def execute(request: _Request) -> Reply:
        target = urlsplit(request.target)
        resource = target.path
        prefix = f"{ROOT}{service.name}/"
        if prefix in resource:
            resource = resource.split(prefix, 1)[1]
        query = dict(parse_qsl(target.query, keep_blank_values=True))
        return resources.execute(service, request.method, resource.lstrip("/"),
                                 query, request.headers, request.body, user, host)

    def record(request: _Request, reply: Reply, status: int) -> None:
        if request.method in WRITES:
            journal.record(
                method=request.method, path=f"{path}/{request.target}",
                entity_set=entity_set_of(urlsplit(request.target).path.lstrip("/")),
                status=status, headers=kept_headers(request.headers), user=user,
                replayed=False, body=request.body,
                result=reply.result if status < 300 else None,
            )

    for part in parts:
        chunks.append(f"--{boundary}\r\n")
        if part.request is not None:
            if part.request.method in WRITES:
                reply = Reply.error(errors.bad_input(
                    "$batch", "a change request must be inside a change set"))
            else:
                reply = execute(part.request)
            chunks.append(_wrap(_render(reply)))
            continue
        checkpoint = resources.state.checkpoint()
        replies = [execute(request) for request in part.changeset]
        failed = next((r for r in replies if r.status >= 400), None)
        if failed is not None:
            resources.state.restore(checkpoint)
            for request, reply in zip(part.changeset, replies, strict=True):
                record(request, reply, failed.status)
            chunks.append(_wrap(_render(failed)))
            continue
        for request, reply in zip(part.changeset, replies, strict=True):
            record(request, reply, reply.status)
        inner = f"changesetresponse_{uuid.uuid4()}"
        chunks.append(f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n")
        for reply in replies:
            chunks.append(f"--{inner}\r\n" + _wrap(_render(reply)))
        chunks.append(f"--{inner}--\r\n")
    chunks.append(f"--{boundary}--\r\n")
    return Reply(202, "".join(chunks).encode(),
                 {"content-type": f"multipart/mixed; boundary={boundary}"})
