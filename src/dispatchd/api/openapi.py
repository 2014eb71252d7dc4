"""The OpenAPI document, made to say what the API really answers: errors are problem+json.

FastAPI documents the success response and, for every operation with parameters, its own
validation error shape (``HTTPValidationError``), which this server never sends. Here each API
operation lists instead the RFC 9457 problem responses it can give, chosen by what the
operation is (authenticated or not, with a body or not, changing state or not), all under the
media type they are sent with and one schema, ``ProblemOut``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter
from starlette.routing import BaseRoute

from dispatchd.api.auth import current_actor
from dispatchd.api.deps import idempotency_request
from dispatchd.api.problems import PROBLEM_JSON, ProblemOut
from dispatchd.api.requests import TokenRequest

API_PREFIX = "/api/v1/"
PROBLEM_SCHEMA = "#/components/schemas/ProblemOut"
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BEARER = "bearer"
SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "The access_token from POST /api/v1/auth/token, sent as "
        "'Authorization: Bearer <access_token>'; revoked by POST /api/v1/auth/logout",
    }
}

_DESCRIPTIONS = {
    400: "Malformed request: a body that is not JSON (or not UTF-8), or a URL holding NUL or "
    "undecodable characters",
    401: "No credentials, a token that is unknown, expired or revoked, or a wrong username or "
    "password (WWW-Authenticate: Bearer)",
    403: "Authenticated, but this role may not do this",
    404: "Not found, or not visible to the caller",
    409: "The request conflicts with the current state",
    413: "The body is larger than the limit",
    415: "The body is not in the media type this operation reads (or the upload is not an "
    "accepted image)",
    422: "Invalid input: the fields and the fix are named in errors (a body nested too deep "
    "is named as the field body)",
    429: "Too many requests; retry after the Retry-After header's seconds",
}


def install_openapi(app: FastAPI) -> None:
    """Replace the app's OpenAPI generator with one that documents problem responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {}).update(_problem_schemas())
            components["securitySchemes"] = SECURITY_SCHEMES
            paths = schema.get("paths", {})
            for path, method, route in _api_operations(app.routes):
                operation = paths.get(path, {}).get(method.lower())
                if operation is not None:
                    _document_problems(operation.setdefault("responses", {}), route, method)
                    if current_actor in _dependency_calls(route.dependant):
                        operation["security"] = [{BEARER: []}]
            for operations in paths.values():
                for operation in operations.values():
                    _problems_as_problem_json(operation.get("responses", {}))
                    _parameters_not_nullable(operation.get("parameters", []))
            _drop_unused_validation_schemas(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem_statuses(route: routing.APIRoute, method: str) -> list[int]:
    """The problem statuses an API operation can answer with, by what the operation is.

    400 for any request (a URL the database could not store); 401 and 403 where a caller must
    authenticate (401 also for a log-in's wrong password); 404 where a path names something
    or a caller sees only part of the data; 409 where state changes; 413 and 415 where a body
    is read; 422 where anything sent is validated; 429 on the entry points a guesser would
    use (log-ins, and tracking links, whose token is the only credential), which are
    rate-limited.
    """
    calls = _dependency_calls(route.dependant)
    authenticated = current_actor in calls
    body_types = {param.field_info.annotation for param in route.dependant.body_params}
    logs_in = TokenRequest in body_types
    has_body = route.body_field is not None
    names_things = bool(route.dependant.path_params)
    validated = has_body or idempotency_request in calls or _has_parameters(route.dependant)
    applies = {
        400: True,
        401: authenticated or logs_in,
        403: authenticated,
        404: authenticated or names_things,
        409: method in CHANGES and (authenticated or names_things),
        413: has_body,
        415: has_body,
        422: validated,
        429: logs_in or (names_things and not authenticated),
    }
    return [status for status, applicable in applies.items() if applicable]


def _api_operations(routes: list[BaseRoute]) -> Iterator[tuple[str, str, routing.APIRoute]]:
    """(path, method, route) of every documented operation under the API prefix.

    Newer FastAPI keeps included routers as groups (walked by ``iter_route_contexts``); older
    releases copy their routes into the app's list.
    """
    iter_contexts = getattr(routing, "iter_route_contexts", None)
    found: list[tuple[str | None, set[str] | None, BaseRoute]]
    if iter_contexts is None:
        found = [(getattr(r, "path_format", None), getattr(r, "methods", None), r) for r in routes]
    else:
        found = [(c.path_format, c.methods, c.original_route) for c in iter_contexts(routes)]
    for path, methods, route in found:
        if not isinstance(route, routing.APIRoute) or not route.include_in_schema:
            continue
        if path is None or not path.startswith(API_PREFIX):
            continue
        for method in sorted(methods or ()):
            yield path, method, route


def _dependency_calls(dependant: Dependant) -> set[Any]:
    """Every callable in a dependency tree, walked without recursion."""
    calls: set[Any] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call is not None:
            calls.add(current.call)
        pending.extend(current.dependencies)
    return calls


def _has_parameters(dependant: Dependant) -> bool:
    pending = [dependant]
    while pending:
        current = pending.pop()
        if (
            current.path_params
            or current.query_params
            or current.header_params
            or current.cookie_params
        ):
            return True
        pending.extend(current.dependencies)
    return False


def _problem_schemas() -> dict[str, Any]:
    schema = TypeAdapter(ProblemOut).json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    definitions = schema.pop("$defs", {})
    return {"ProblemOut": schema, **definitions}


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA}}}


def _document_problems(responses: dict[str, Any], route: routing.APIRoute, method: str) -> None:
    """The operation's problem responses: its own descriptions kept, FastAPI's 422 replaced."""
    statuses = problem_statuses(route, method)
    if 422 not in statuses:
        responses.pop("422", None)
    for status in statuses:
        response = responses.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
        if "HTTPValidationError" in json.dumps(response):
            response["description"] = _DESCRIPTIONS[status]
        response["content"] = _problem_content()
    ordered = sorted(responses.items(), key=lambda item: item[0])
    responses.clear()
    responses.update(ordered)


def _problems_as_problem_json(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        content = response.get("content")
        if status.isdigit() and int(status) >= 400 and content and "application/json" in content:
            content[PROBLEM_JSON] = content.pop("application/json")


def _parameters_not_nullable(parameters: list[dict[str, Any]]) -> None:
    """An optional parameter is left out, never sent as null: drop ``null`` from its schema
    (FastAPI documents ``str | None`` as nullable, and a client would send the text "null")."""
    for parameter in parameters:
        schema = parameter.get("schema", {})
        choices = schema.get("anyOf")
        if choices is None:
            continue
        kept = [choice for choice in choices if choice != {"type": "null"}]
        if len(kept) == 1:
            del schema["anyOf"]
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
        if schema.get("default", ...) is None:
            del schema["default"]


def _drop_unused_validation_schemas(schema: dict[str, Any]) -> None:
    """Remove FastAPI's validation error schemas once nothing refers to them."""
    components = schema.get("components", {}).get("schemas", {})
    referenced = json.dumps(schema.get("paths", {}))
    for name in FASTAPI_VALIDATION_SCHEMAS:
        if f"#/components/schemas/{name}" not in referenced:
            components.pop(name, None)
