"""The deadline engine: sleeps until the earliest deadline, then runs every due one.

Due deadlines are claimed in batches and run in one transaction, each command inside its own
savepoint, so the commit cost is shared by the batch while one failing step can neither block
nor undo the others. A deadline row is deleted in the transaction that carries out its
effect: a crash before the commit leaves it due, a commit leaves nothing to repeat.

Any number of engines may run against one PostgreSQL: each claims with ``SKIP LOCKED``, and
a step that PostgreSQL aborts to break a deadlock is left due for the next round instead of
being counted as a failure. Engines sleep until the earliest deadline; a nearer one committed
here wakes them through a commit listener, one committed elsewhere through ``NOTIFY``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from dispatchd.domain.deadlines import Deadline, DeadlineKind
from dispatchd.faults import crash_point
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import Command, EscalateDueOffers, RunEscalationStep
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.unit_of_work import CommitSummary, UnitOfWork
from dispatchd.store.database import is_transient

log = structlog.get_logger(__name__)

MAX_RETRY_DELAY_S = 300
IDLE_PAUSE_S = 0.05


def command_for(deadline: Deadline) -> Command:
    """The command a due deadline stands for."""
    if deadline.kind is DeadlineKind.OFFER_STEP:
        return RunEscalationStep(deadline.subject_id, deadline.step)
    raise ValueError(f"unknown deadline kind {deadline.kind}")


class DeadlineEngine:
    """Runs due deadlines as commands; wakes early when a nearer deadline is committed."""

    def __init__(self, dispatcher: Dispatcher, batch_size: int = 500, poll_s: float = 1.0) -> None:
        self._dispatcher = dispatcher
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._sleeping_until: datetime | None = None
        self.fired = 0
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

        Returns how many were claimed and how many of those ran (the rest stay due).
        """
        ran = 0
        with self._dispatcher.transaction() as uow:
            due = uow.deadlines.claim_due(now, self._batch_size)
            if due:
                ran = self._run_together(uow, due, now)
                crash_point("deadlines.before_commit")
        self.fired += ran
        if self.on_batch is not None and due:
            self.on_batch(due)
        return len(due), ran

    def _run_together(self, uow: UnitOfWork, due: list[Deadline], now: datetime) -> int:
        """Run the batch as one command; if that fails, run its deadlines one by one.

        The fallback isolates the failing deadline (it is retried later) without holding up
        the others.
        """
        steps = [d for d in due if d.kind is DeadlineKind.OFFER_STEP]
        others = [d for d in due if d.kind is not DeadlineKind.OFFER_STEP]
        ran = 0
        if steps:
            try:
                with uow.savepoint() as unit:
                    ctx = self._dispatcher.context(SYSTEM, now)
                    self._dispatcher.handle(unit, EscalateDueOffers(tuple(steps)), ctx)
                    unit.check_all_saved()
                ran = len(steps)
            except Exception as exc:
                log.warning(
                    "batch of due steps failed; running them one by one",
                    size=len(steps),
                    error=type(exc).__name__,
                )
                others = due
        for deadline in others:
            ran += self._run_one(uow, deadline, now)
        return ran

    def _run_one(self, uow: UnitOfWork, deadline: Deadline, now: datetime) -> int:
        ctx = self._dispatcher.context(SYSTEM, now)
        try:
            with uow.savepoint() as unit:
                self._dispatcher.handle(unit, command_for(deadline), ctx)
                unit.check_all_saved()
                unit.deadlines.done(deadline)
            return 1
        except Exception as exc:
            if is_transient(exc):
                log.info("deadline step lost a lock race", subject=deadline.subject_id)
                return 0
            log.exception("deadline failed", kind=deadline.kind.value, subject=deadline.subject_id)
            delay = min(MAX_RETRY_DELAY_S, 5 * 2**deadline.failures)
            uow.fresh().deadlines.retry_later(deadline, now + timedelta(seconds=delay))
            return 0

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
