"""Live fan-out of the event log to every connected client.

One pump reads new events from the log once and hands each to the subscribers allowed to see
it, so a thousand open phones cost one query per batch of events, not a thousand. Commits in
this process wake the pump at once, commits in other processes through PostgreSQL ``NOTIFY``
(:mod:`dispatchd.engine.listener`); a slow poll catches whatever a lost hint left behind. The
log stays the truth: a subscriber that falls behind is dropped and replays on reconnect.
Tailing ``id > last`` is safe because an id becomes visible only together with every smaller
one (see :mod:`dispatchd.store.event_publication`). On PostgreSQL the pump runs a publication
round before each read and at start, so events that a process committed but never published
(it crashed in between) are published by whichever pump comes next.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog
from starlette.concurrency import run_in_threadpool

from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.unit_of_work import CommitSummary, UnitOfWork
from dispatchd.store.event_log import Audience, LoggedEvent

log = structlog.get_logger(__name__)

QUEUE_LIMIT = 2_000
PUMP_BATCH = 1_000


@dataclass(eq=False)
class Subscription:
    """One connected client's queue; ``start_id`` is the last event before it joined."""

    audience: Audience
    start_id: int
    queue: asyncio.Queue[LoggedEvent | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    dropped: bool = False


class EventHub:
    """Tails the event log and delivers each new event to the subscribers who may see it."""

    def __init__(self, dispatcher: Dispatcher, poll_s: float = 1.0) -> None:
        self._dispatcher = dispatcher
        self._poll_s = poll_s
        self._by_installer: dict[str, set[Subscription]] = {}
        self._console: set[Subscription] = set()
        self._tail = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        dispatcher.on_commit(self._on_commit)

    @property
    def subscribers(self) -> int:
        """How many clients are connected."""
        return len(self._console) + sum(len(s) for s in self._by_installer.values())

    async def start(self) -> None:
        """Publish what is queued, then tail from the newest event (earlier ones on request)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._tail = await run_in_threadpool(self._last_id)
        self._task = asyncio.create_task(self._run(), name="event-hub")

    async def stop(self) -> None:
        """Stop the pump and end every subscriber's stream."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sub in list(self._console) + [s for subs in self._by_installer.values() for s in subs]:
            self._close(sub)

    def subscribe(self, audience: Audience) -> Subscription:
        """Join the live stream; events after ``start_id`` will arrive on the queue."""
        sub = Subscription(audience, self._tail)
        if audience.installer_id is not None:
            self._by_installer.setdefault(audience.installer_id, set()).add(sub)
        else:
            self._console.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Leave the live stream."""
        if sub.audience.installer_id is not None:
            subs = self._by_installer.get(sub.audience.installer_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_installer[sub.audience.installer_id]
        else:
            self._console.discard(sub)

    def replay(self, audience: Audience, after_id: int, up_to: int) -> list[LoggedEvent]:
        """Events in (after_id, up_to] the audience may see: what a reconnecting client missed."""
        with self._dispatcher.reading() as conn:
            events = UnitOfWork(conn).events.after(after_id, audience, limit=PUMP_BATCH)
        return [event for event in events if event.id <= up_to]

    def _on_commit(self, summary: CommitSummary) -> None:
        if summary.events:
            self.wake()

    def wake(self) -> None:
        """New events were committed somewhere: read the log now (safe from any thread)."""
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._wake.set)

    def _last_id(self) -> int:
        self._dispatcher.publish_events()
        with self._dispatcher.reading() as conn:
            return UnitOfWork(conn).events.last_id()

    def _read_after(self, last_id: int) -> list[LoggedEvent]:
        self._dispatcher.publish_events()
        with self._dispatcher.reading() as conn:
            return UnitOfWork(conn).events.after(last_id, Audience(), limit=PUMP_BATCH)

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._pump()
            except Exception:
                log.exception("event pump failed; retrying")

    async def _pump(self) -> None:
        while True:
            events = await run_in_threadpool(self._read_after, self._tail)
            for event in events:
                self._deliver(event)
                self._tail = event.id
            if len(events) < PUMP_BATCH:
                return

    def _deliver(self, event: LoggedEvent) -> None:
        targets: list[Subscription] = []
        if event.installer_id is not None:
            targets.extend(self._by_installer.get(event.installer_id, ()))
        targets.extend(
            sub for sub in self._console if sub.audience.may_see(event.installer_id, event.zone_id)
        )
        for sub in targets:
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("event subscriber fell behind; dropping it", start_id=sub.start_id)
                self.unsubscribe(sub)
                self._close(sub)

    @staticmethod
    def _close(sub: Subscription) -> None:
        sub.dropped = True
        with contextlib.suppress(asyncio.QueueFull):
            sub.queue.put_nowait(None)
