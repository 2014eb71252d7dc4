"""The OpenAPI document, made to say what the API really answers: errors are problem+json.

FastAPI documents only the success response and its own validation error shape; here every
API operation also lists the RFC 9457 problem responses it can give, under the media type it
actually sends them with.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from dispatchd.api.problems import PROBLEM_JSON, ProblemOut

API_PREFIX = "/api/v1/"


_DESCRIPTIONS = {
    400: "Malformed request (for example, the body is not JSON)",
    401: "No credentials, or a token that is unknown, expired or revoked",
    403: "Authenticated, but this role may not do this",
    404: "Not found, or not visible to the caller",
    409: "The request conflicts with the current state",
    413: "The body is larger than the limit",
    415: "The upload is not an accepted image",
    422: "Invalid input: the fields and the fix are named in errors",
    429: "Too many requests; retry after the Retry-After header's seconds",
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemOut, "description": text} for status, text in _DESCRIPTIONS.items()
}


def install_openapi(app: FastAPI) -> None:
    """Replace the app's OpenAPI generator with one that documents problem responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(_problem_schemas())
            for path, operations in schema.get("paths", {}).items():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    if path.startswith(API_PREFIX):
                        _document_problems(responses)
                    _problems_as_problem_json(responses)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_schemas() -> dict[str, Any]:
    schema = TypeAdapter(ProblemOut).json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    definitions = schema.pop("$defs", {})
    return {"ProblemOut": schema, **definitions}


def _document_problems(responses: dict[str, Any]) -> None:
    reference = {"$ref": "#/components/schemas/ProblemOut"}
    for status, text in _DESCRIPTIONS.items():
        responses.setdefault(
            str(status), {"description": text, "content": {PROBLEM_JSON: {"schema": reference}}}
        )


def _problems_as_problem_json(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        content = response.get("content")
        if status.isdigit() and int(status) >= 400 and content and "application/json" in content:
            content[PROBLEM_JSON] = content.pop("application/json")
