"""A request body in the media type its operation reads, or a 415 that names that type.

Without this check a JSON body sent as ``text/plain`` (or with no Content-Type) reaches the
body validator as bytes and comes back as a puzzling 422 "should be a valid dictionary".
"""

from __future__ import annotations

from fastapi import Request
from fastapi import params as fastapi_params
from fastapi.routing import APIRoute

from dispatchd.api.limits import is_json
from dispatchd.api.problems import Problem

JSON = "application/json"
FORM = "multipart/form-data"


def expected_media_type(route: APIRoute) -> str | None:
    """The media type an operation's body must have, or None if it takes no body."""
    if route.body_field is None:
        return None
    return FORM if isinstance(route.body_field.field_info, fastapi_params.Form) else JSON


def has_body(request: Request) -> bool:
    """Whether the request carries a body (a length above zero, or a chunked one)."""
    length = request.headers.get("content-length", "")
    return (length.isdigit() and int(length) > 0) or "transfer-encoding" in request.headers


async def require_media_type(request: Request) -> None:
    """A dependency of every API operation: its body, if sent, in the type it reads."""
    route = request.scope.get("route")
    expected = expected_media_type(route) if isinstance(route, APIRoute) else None
    if expected is None or not has_body(request):
        return
    sent = request.headers.get("content-type", "")
    if is_json(sent) if expected == JSON else sent.lower().startswith(FORM):
        return
    described = f"Content-Type {sent.split(';', 1)[0].strip()!r}" if sent else "no Content-Type"
    raise Problem(
        415,
        f"this operation reads its body as {expected} and the request came with {described}; "
        f"send the body as {expected}",
        "unsupported-media-type",
    )
