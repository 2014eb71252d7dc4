"""Query parameters an operation does not take are refused, not silently ignored.

A misspelt filter (``?stauts=pending``) would otherwise return everything, and the caller
would never learn why; the 422 names the parameter and says how to fix it. Only the API is
held to this: a page's address may carry whatever a link added to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute


async def refuse_unknown_query_parameters(request: Request) -> None:
    """Refuse the request when its query names a parameter its operation does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.url.path.startswith("/api/"):
        return
    known = _declared_query_names(route)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "is not a parameter of this operation",
                    "input": request.query_params.get(name),
                }
                for name in unknown[:5]
            ]
        )


_DECLARED: dict[tuple[Any, str, tuple[str, ...]], frozenset[str]] = {}


def _declared_query_names(route: APIRoute) -> frozenset[str]:
    """What the route takes, worked out once per route (routes are not hashable)."""
    key = (route.endpoint, route.path, tuple(sorted(route.methods or ())))
    known = _DECLARED.get(key)
    if known is None:
        known = _DECLARED[key] = frozenset(_query_names(route.dependant))
    return known


def _query_names(dependant: Dependant) -> list[str]:
    """The operation's own query parameters and those of every dependency it uses."""
    names = [param.alias for param in dependant.query_params]
    for sub in dependant.dependencies:
        names.extend(_query_names(sub))
    return names
