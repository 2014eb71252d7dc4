"""``GET /api/v1/events``: the live event stream, with ``Last-Event-ID`` replay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from dispatchd.api.deps import CurrentActor
from dispatchd.api.json_response import dumps
from dispatchd.api.problems import Problem
from dispatchd.domain.errors import FieldError
from dispatchd.domain.timefmt import rfc3339
from dispatchd.engine.broadcast import EventHub, Subscription
from dispatchd.store.event_log import Audience, LoggedEvent

router = APIRouter(tags=["events"])

PING_S = 15


def sse_message(event: LoggedEvent) -> dict[str, Any]:
    """An event as one SSE message: id, name, and JSON data that always has ``order_id``."""
    data = {"order_id": event.order_id, "at": rfc3339(event.at), **event.data}
    if event.installer_id is not None:
        data.setdefault("installer_id", event.installer_id)
    return {"id": str(event.id), "event": event.name, "data": dumps(data).decode()}


def _last_event_id(header: str | None, query: int | None) -> int | None:
    if header is None:
        return query
    try:
        value = int(header)
    except ValueError as exc:
        raise Problem(
            422,
            "Last-Event-ID must be the id of an event this server sent",
            "invalid-input",
            [FieldError("Last-Event-ID", "is not an event id", "event_id_invalid")],
        ) from exc
    if value < 0:
        raise Problem(422, "Last-Event-ID cannot be negative", "invalid-input")
    return value


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Server-Sent Events, one per event the caller may see, without end",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def stream_events(
    request: Request,
    actor: CurrentActor,
    last_event_id: str | None = Header(
        default=None, alias="Last-Event-ID", json_schema_extra={"pattern": "^[0-9]+$"}
    ),
    after: int | None = Query(
        default=None,
        ge=0,
        description="replay from this id (for clients that cannot set Last-Event-ID)",
    ),
) -> EventSourceResponse:
    """Stream events the caller may see; after a reconnect, first everything missed."""
    hub: EventHub = request.app.state.hub
    start_after = _last_event_id(last_event_id, after)
    audience = actor.audience()
    sub = hub.subscribe(audience)
    return EventSourceResponse(_stream(hub, sub, audience, start_after), ping=PING_S)


async def _stream(
    hub: EventHub, sub: Subscription, audience: Audience, start_after: int | None
) -> AsyncIterator[dict[str, Any]]:
    sent = sub.start_id if start_after is None else max(start_after, sub.start_id)
    try:
        if start_after is not None and start_after < sub.start_id:
            sent = start_after
            while sent < sub.start_id:
                missed = await run_in_threadpool(hub.replay, audience, sent, sub.start_id)
                if not missed:
                    break
                for earlier in missed:
                    yield sse_message(earlier)
                    sent = earlier.id
            sent = sub.start_id
        while not sub.dropped or not sub.queue.empty():
            try:
                async with asyncio.timeout(PING_S):
                    event: LoggedEvent | None = await sub.queue.get()
            except TimeoutError:
                continue
            if event is None:
                return
            if event.id > sent:
                sent = event.id
                yield sse_message(event)
    finally:
        hub.unsubscribe(sub)
