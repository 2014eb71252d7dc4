"""A client resuming with Last-Event-ID on a process whose stream is behind gets nothing twice.

With several processes, a phone may have seen event 8 from process A and reconnect to
process B, whose pump has only reached event 5: B must not send 6, 7 and 8 again.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from dispatchd.api.routes.events import _stream
from dispatchd.engine.broadcast import Subscription
from dispatchd.store.event_log import EVERYONE, Audience, LoggedEvent


def logged(event_id: int) -> LoggedEvent:
    return LoggedEvent(
        event_id, "offer.sent", "ord_x", None, None, {}, datetime(2026, 11, 25, tzinfo=UTC)
    )


class HubBehind:
    """A hub whose pump stands at event 5."""

    def replay(self, audience: Audience, after_id: int, up_to: int) -> list[LoggedEvent]:
        return [logged(n) for n in range(after_id + 1, up_to + 1)]

    def unsubscribe(self, sub: Subscription) -> None:
        pass


def received(start_after: int | None) -> list[int]:
    """The ids the stream sends, run on a loop of its own (the test's thread may have one)."""

    async def collect() -> list[int]:
        sub = Subscription(EVERYONE, start_id=5)
        for event_id in (6, 7, 8, 9):
            sub.queue.put_nowait(logged(event_id))
        sub.queue.put_nowait(None)
        hub: Any = HubBehind()
        return [int(message["id"]) async for message in _stream(hub, sub, EVERYONE, start_after)]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, collect()).result()


def test_a_client_ahead_of_this_process_gets_only_what_it_has_not_seen() -> None:
    assert received(start_after=8) == [9]


def test_a_client_behind_this_process_gets_the_gap_replayed_then_the_live_events() -> None:
    assert received(start_after=2) == [3, 4, 5, 6, 7, 8, 9]


def test_a_new_client_gets_the_live_events_only() -> None:
    assert received(start_after=None) == [6, 7, 8, 9]
