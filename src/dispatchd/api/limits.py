"""Bounded input: a body's size and a JSON body's nesting, checked before anything parses it.

Parsers recurse: a JSON array nested a hundred thousand deep exhausts the interpreter's stack
in ``json.loads`` wherever it is called (FastAPI's body, the ``Idempotency-Key`` fingerprint).
So the guard reads a JSON body itself, counting bytes as they stream (a chunked body declares
no length), scans its brackets without recursion, and only then hands the same bytes on.
Uploads stream through, counted, because they are larger than anything worth buffering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatchd.api.problems import Problem, problem_response
from dispatchd.config import Settings
from dispatchd.domain.errors import FieldError

UPLOAD_OVERHEAD = 1024 * 1024

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OPEN = b"[{"
_CLOSE = b"]}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _OPEN + _CLOSE)
_AS_STEPS = bytes.maketrans(_OPEN + _CLOSE, b"\x01\x01\xff\xff")


@dataclass(frozen=True)
class InputLimits:
    """How much a request may carry: one set, read from the settings every process shares."""

    json_bytes: int
    json_depth: int
    upload_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> InputLimits:
        """The limits of ``DISPATCHD_MAX_JSON_BYTES``, ``_MAX_JSON_DEPTH`` and
        ``_MAX_PHOTO_BYTES`` (an upload may exceed the photo by its form's overhead)."""
        return cls(
            settings.max_json_bytes,
            settings.max_json_depth,
            settings.max_photo_bytes + UPLOAD_OVERHEAD,
        )


class BodyTooLarge(HTTPException):
    """An upload grew past its limit while streaming.

    An HTTP exception, so that FastAPI's body reading lets it through instead of turning it
    into a 400 "error parsing the body".
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))


def too_large_detail(limit: int) -> str:
    """What a 413 says: the limit, and the fix."""
    return f"the request body is larger than the limit of {limit} bytes; send less"


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text, found without recursion.

    Strings are cut out first (a bracket inside one is text); what is left are the brackets,
    each opening one level and each closing one. Works on UTF-8 bytes, where no byte of a
    multi-byte character can look like a quote, a backslash or a bracket.
    """
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    steps = memoryview(brackets.translate(_AS_STEPS)).cast("b")
    return max(accumulate(steps), default=0)


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (``application/json`` or ``application/*+json``)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class BodyGuard:
    """ASGI middleware: bodies within their byte limit, JSON within its nesting limit."""

    def __init__(self, app: ASGIApp, limits: InputLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream uploads through a counter; read anything else whole, check it, replay it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if content_type.lower().startswith("multipart/"):
            await self._stream_upload(scope, receive, send, headers)
            return
        limit = self.limits.json_bytes
        if _declared_length(headers) > limit:
            await _refuse(scope, receive, send, Problem(413, too_large_detail(limit), "too-large"))
            return
        body = await _read_within(receive, limit)
        if body is None:
            await _refuse(scope, receive, send, Problem(413, too_large_detail(limit), "too-large"))
            return
        problem = self._json_problem(body) if body and is_json(content_type) else None
        if problem is not None:
            await _refuse(scope, receive, send, problem)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _stream_upload(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]
    ) -> None:
        limit = self.limits.upload_bytes
        if _declared_length(headers) > limit:
            await _refuse(scope, receive, send, Problem(413, too_large_detail(limit), "too-large"))
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await _refuse(scope, receive, send, Problem(413, too_large_detail(limit), "too-large"))

    def _json_problem(self, body: bytes) -> Problem | None:
        """Why a JSON body must not reach a parser, if it must not."""
        if b"\x00" in body or not _is_utf8(body):
            return Problem(
                400,
                "the JSON body is not UTF-8 text (or holds a NUL byte); send it UTF-8 encoded",
                "malformed-json",
                [FieldError("body", "is not UTF-8 text", "not_utf8")],
            )
        depth = self.limits.json_depth
        if json_depth(body) > depth:
            return Problem(
                422,
                f"the JSON body nests arrays and objects deeper than the limit of {depth} "
                "levels; send a flatter body (no request of this API needs more)",
                "too-deep",
                [
                    FieldError(
                        "body",
                        f"nests deeper than {depth} levels",
                        "too_deep",
                        {"max_depth": depth},
                    )
                ],
            )
        return None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _declared_length(headers: dict[bytes, bytes]) -> int:
    declared = headers.get(b"content-length", b"")
    return int(declared) if declared.isdigit() else 0


async def _read_within(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the client's messages."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
    await problem_response(problem)(scope, receive, send)


class CleanUrl:
    """ASGI middleware: a URL with NUL or undecodable characters is a 400, never a 500.

    No database stores NUL in text, so such a path or query could only fail deeper down.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse requests whose decoded path or query string cannot be stored."""
        if scope["type"] == "http" and not _storable_url(scope):
            response = problem_response(
                Problem(
                    400,
                    "the URL contains NUL or invalid characters; remove them",
                    "bad-url",
                )
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _storable_url(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
    if "\x00" in path or b"\x00" in query:
        return False
    try:
        path.encode("utf-8")
        query.decode("utf-8")
    except UnicodeError:
        return False
    return True
