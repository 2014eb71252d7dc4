"""The deadline engine: sleeps until the earliest deadline, then has every due one run.

It is only the timer. Each round is one command, :class:`FireDueDeadlines`, through the
dispatcher like any other: the command claims a batch of due deadlines and runs their steps
in one transaction, isolating a step that fails (see ``service/handlers/deadlines.py``). A
deadline row is deleted in the transaction that carries out its step: a crash before the
commit leaves it due, a commit leaves nothing to repeat.

Any number of engines may run against one PostgreSQL: each claims with ``SKIP LOCKED``.
Engines sleep until the earliest deadline; a nearer one committed here wakes them through a
commit listener, one committed elsewhere through ``NOTIFY``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from dispatchd.domain.deadlines import Deadline
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import FireDueDeadlines
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.handlers.deadlines import Round
from dispatchd.service.unit_of_work import CommitSummary, UnitOfWork

log = structlog.get_logger(__name__)

IDLE_PAUSE_S = 0.05


class DeadlineEngine:
    """Runs due deadlines as commands; wakes early when a nearer deadline is committed."""

    def __init__(self, dispatcher: Dispatcher, batch_size: int = 500, poll_s: float = 1.0) -> None:
        self._dispatcher = dispatcher
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._sleeping_until: datetime | None = None
        self.fired = 0
        self.failed = 0
        self.running = False
        self.on_batch: Callable[[list[Deadline]], None] | None = None
        dispatcher.on_commit(self._on_commit)

    def _on_commit(self, summary: CommitSummary) -> None:
        if summary.earliest_deadline is not None:
            self.notice_deadline(summary.earliest_deadline)

    def notice_deadline(self, due_at: datetime) -> None:
        """A deadline due at ``due_at`` was committed: wake up if it is nearer than planned."""
        until = self._sleeping_until
        if until is None or due_at < until:
            self._wake.set()

    def run_due(self, now: datetime | None = None) -> int:
        """Run every deadline due at ``now`` (default: the clock's now); returns how many ran.

        Each batch is claimed at the same ``now``, so deadlines the batch itself schedules for
        later are never pulled forward.
        """
        moment = now or self._dispatcher.clock.now()
        total = 0
        while True:
            claimed, ran = self.run_batch(moment)
            total += ran
            if claimed < self._batch_size:
                return total

    def run_batch(self, now: datetime) -> tuple[int, int]:
        """Claim up to one batch of due deadlines and run them in one transaction.

        Returns how many were claimed and how many of those ran (the rest stay due or were
        pushed back).
        """
        done: Round = self._dispatcher.execute(FireDueDeadlines(self._batch_size), SYSTEM, now)
        self.fired += done.ran
        self.failed += done.failed
        if self.on_batch is not None and done.claimed:
            self.on_batch(list(done.claimed))
        return len(done.claimed), done.ran

    def next_due_at(self) -> datetime | None:
        """When the earliest pending deadline comes due."""
        with self._dispatcher.reading() as conn:
            return UnitOfWork(conn).deadlines.next_due_at()

    def run_forever(self, stop: threading.Event) -> None:
        """The engine's loop: fire what is due, then sleep until the next one or a wake-up."""
        self.running = True
        try:
            while not stop.is_set():
                try:
                    ran = self.run_due()
                    self._sleep(stop, made_progress=ran > 0)
                except Exception:
                    log.exception("deadline engine iteration failed; retrying")
                    stop.wait(self._poll_s)
        finally:
            self.running = False

    def _sleep(self, stop: threading.Event, made_progress: bool) -> None:
        now = self._dispatcher.clock.now()
        next_due = self.next_due_at()
        timeout = self._poll_s
        if next_due is not None:
            timeout = max(0.0, min(timeout, (next_due - now).total_seconds()))
        if not made_progress:
            timeout = max(timeout, IDLE_PAUSE_S)
        self._sleeping_until = now + timedelta(seconds=timeout)
        if timeout > 0 and not stop.is_set():
            self._wake.wait(timeout)
        self._wake.clear()
        self._sleeping_until = None

    def wake(self) -> None:
        """Cut the current sleep short (used at shutdown)."""
        self._wake.set()
