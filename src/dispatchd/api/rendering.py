"""The answers of the routes that change state: a command's result rendered into its response.

A renderer runs inside the command's own transaction (``Dispatcher.execute_rendered``) and
turns the command's result into an :class:`Outcome`, a status code and a body built by
``responses.py``; with an ``Idempotency-Key`` that outcome is stored with the change, so a
retry is answered with exactly what the first caller saw. :func:`respond` then sends the
outcome as the HTTP response.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi.responses import Response

from dispatchd.api.json_response import JSONResponse
from dispatchd.api.problems import PROBLEM_JSON
from dispatchd.api.responses import order_view
from dispatchd.domain.orders import Order
from dispatchd.service.actors import Actor
from dispatchd.service.outcome import Outcome
from dispatchd.service.unit_of_work import UnitOfWork

Renderer = Callable[[UnitOfWork, Any], Outcome]


def respond(outcome: Outcome) -> Response:
    """The HTTP response for an outcome (204 has no body; errors are problem+json)."""
    if outcome.status_code == 204:
        return Response(status_code=204)
    media_type = PROBLEM_JSON if outcome.status_code >= 400 else "application/json"
    return JSONResponse(outcome.body, outcome.status_code, media_type=media_type)


def as_order(actor: Actor, public_url: str, status_code: int = 200) -> Renderer:
    """Render an order as the actor may see it."""

    def render(_uow: UnitOfWork, order: Order) -> Outcome:
        return Outcome(status_code, order_view(order, actor, public_url))

    return render


def with_view(view: Callable[[Any], Mapping[str, object]], status_code: int = 200) -> Renderer:
    """Render a result with a view function that needs nothing else."""

    def render(_uow: UnitOfWork, result: Any) -> Outcome:
        return Outcome(status_code, view(result))

    return render


def no_content(_uow: UnitOfWork, _result: Any) -> Outcome:
    """A 204 with no body."""
    return Outcome(204, None)
