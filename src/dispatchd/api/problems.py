"""RFC 9457 problem documents for every error, so clients learn what was wrong and the fix.

Validation errors list each bad field by its dotted path (``location.lat``); domain errors map
to their status codes in one table, and a failed request never changes anything because the
error is raised before its transaction commits.
"""

from __future__ import annotations

from typing import Any, NotRequired

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import Scope
from typing_extensions import TypedDict

from dispatchd.api.json_response import JSONResponse
from dispatchd.domain.errors import (
    DomainError,
    FieldError,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
)
from dispatchd.service.dispatcher import IdempotencyKeyReused
from dispatchd.service.errors import Conflict, NotFound, Unauthenticated

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
UNAUTHENTICATED_HEADERS = {"WWW-Authenticate": 'Bearer realm="dispatchd"'}
TYPE_BASE = "urn:dispatchd:problem:"

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class FieldProblem(TypedDict):
    """One bad field of a request: its dotted path and what is wrong with it.

    ``type`` names the kind of fault (``string_too_short``, ``phone_invalid``) and ``ctx`` its
    numbers (``{"min_length": 1}``), so a client can word it in its user's language.
    """

    field: str
    message: str
    type: str
    ctx: NotRequired[dict[str, str | int | float]]


class ProblemOut(TypedDict):
    """An RFC 9457 problem document: ``detail`` says what was wrong and how to fix it."""

    type: str
    title: str
    status: int
    detail: str
    errors: NotRequired[list[FieldProblem]]
    attempts_left: NotRequired[int]


class Problem(Exception):
    """An error response, raised anywhere in a request and rendered as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        kind: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _TITLES.get(status, "error").lower().replace(" ", "-")
        self.errors = errors or []
        self.headers = headers or {}


def problem_response(problem: Problem) -> JSONResponse:
    """The problem as an HTTP response."""
    body: ProblemOut = {
        "type": TYPE_BASE + problem.kind,
        "title": _TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = [_field_problem(e) for e in problem.errors]
    return JSONResponse(body, problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def _field_problem(error: FieldError) -> FieldProblem:
    out: FieldProblem = {"field": error.field, "message": error.message, "type": error.code}
    if error.params:
        out["ctx"] = dict(error.params)
    return out


def problem_for(exc: DomainError) -> Problem:
    """The problem a domain or service error stands for."""
    if isinstance(exc, InvalidInput):
        return Problem(422, exc.detail, "invalid-input", exc.errors)
    if isinstance(exc, IdempotencyKeyReused):
        return Problem(
            422,
            str(exc),
            "idempotency-key-reused",
            [FieldError("Idempotency-Key", str(exc), "idempotency_key_reused")],
        )
    if isinstance(exc, NotFound):
        return Problem(404, str(exc), "not-found")
    if isinstance(exc, IllegalTransition):
        return Problem(409, str(exc), "state-conflict")
    if isinstance(exc, Conflict):
        return Problem(409, str(exc), "conflict", exc.errors)
    if isinstance(exc, NotAllowed):
        return Problem(403, str(exc), "not-allowed")
    if isinstance(exc, Unauthenticated):
        return Problem(401, str(exc), "unauthenticated", headers=UNAUTHENTICATED_HEADERS)
    return Problem(400, str(exc))


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def _ctx(error: Any) -> dict[str, str | int | float]:
    """The numbers and words of a validation fault a translation may quote (never objects)."""
    ctx = error.get("ctx") or {}
    return {
        key: value
        for key, value in ctx.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return Problem(
                400,
                "the request body is not valid JSON: "
                f"{error.get('ctx', {}).get('error', 'parse error')}; send a JSON object",
                "malformed-json",
                [FieldError("body", "is not valid JSON", "json_invalid")],
            )
        message = str(error.get("msg", "is invalid"))
        if error.get("type") == "missing":
            message = "is required"
        elif error.get("type") == "extra_forbidden":
            message = "is not a known field; remove it or check its spelling"
        code = str(error.get("type", "invalid"))
        errors.append(FieldError(_field_path(error.get("loc", ())), message, code, _ctx(error)))
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return Problem(422, f"the request has invalid fields — {summary}", "invalid-input", errors)


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path takes, for a 405's ``Allow``.

    A route answers a 405 with its own methods only, and one path is often several routes
    (``GET`` and ``PATCH`` of an installer), so each method is tried against the whole router.
    """
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    return [
        method
        for method in _METHODS
        if any(route.matches(_probe(request.scope, method))[0] is Match.FULL for route in routes)
    ]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _probe(scope: Scope, method: str) -> Scope:
    """The request's scope as it would be with another method, before any routing."""
    return {**scope, "method": method, "fastapi": {}}


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error the app can raise as problem+json."""

    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(problem_for(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such path; see /docs for the API"
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            detail = "this path does not accept that method; see /docs for the API"
            methods = allowed_methods(request)
            if methods:
                headers["Allow"] = ", ".join(methods)
                detail = f"this path takes {', '.join(methods)}; see /docs for the API"
        kind = "too-large" if exc.status_code == 413 else None
        return problem_response(Problem(exc.status_code, detail, kind, headers=headers))

    @app.exception_handler(OperationalError)
    async def _database_away(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unreachable", error=type(exc.orig).__name__)
        return problem_response(
            Problem(
                503,
                "the database did not answer (it may be restarting); send the request again, "
                "with the same Idempotency-Key if it changes anything",
                "database-unavailable",
                headers={"Retry-After": "1"},
            )
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", error_type=type(exc).__name__)
        return problem_response(
            Problem(500, "the server failed to handle this request; nothing was changed")
        )
