"""Request size limits, enforced before a body is parsed (413 instead of a full memory)."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatchd.api.problems import Problem, problem_response


class BodyTooLarge(Exception):
    """The body grew past its limit while being read."""


class BodySizeLimit:
    """ASGI middleware: JSON bodies up to ``json_limit``, uploads up to ``upload_limit``."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse oversized requests by their declared length or while streaming them."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        limit = self.upload_limit if content_type.startswith("multipart/") else self.json_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            Problem(
                413,
                f"the request body is larger than the limit of {limit} bytes; send less",
                "too-large",
            )
        )
        await response(scope, receive, send)


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
