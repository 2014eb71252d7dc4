"""The deadline engine: sleeps until the earliest deadline, then runs every due one.

Due deadlines are claimed in batches and run in one transaction, each command inside its own
savepoint, so the commit cost is shared by the batch while one failing step can neither block
nor undo the others. A deadline row is deleted in the transaction that carries out its
effect: a crash before the commit leaves it due, a commit leaves nothing to repeat.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import structlog

from dispatchd.faults import crash_point
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import Command, RunEscalationStep
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.unit_of_work import CommitSummary, UnitOfWork
from dispatchd.store.deadlines import Deadline, DeadlineKind

log = structlog.get_logger(__name__)

MAX_RETRY_DELAY_S = 300


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
        dispatcher.on_commit(self._on_commit)

    def _on_commit(self, summary: CommitSummary) -> None:
        until = self._sleeping_until
        if summary.earliest_deadline is not None and (
            until is None or summary.earliest_deadline < until
        ):
            self._wake.set()

    def run_due(self, now: datetime | None = None) -> int:
        """Run every deadline due at ``now`` (default: the clock's now); returns how many ran.

        Each batch is claimed at the same ``now``, so deadlines the batch itself schedules for
        later are never pulled forward.
        """
        moment = now or self._dispatcher.clock.now()
        total = 0
        while True:
            ran = self.run_batch(moment)
            total += ran
            if ran < self._batch_size:
                return total

    def run_batch(self, now: datetime) -> int:
        """Claim up to one batch of due deadlines and run them in one transaction."""
        with self._dispatcher.transaction() as uow:
            due = uow.deadlines.claim_due(now, self._batch_size)
            for deadline in due:
                self._run_one(uow, deadline, now)
            if due:
                crash_point("deadlines.before_commit")
        self.fired += len(due)
        return len(due)

    def _run_one(self, uow: UnitOfWork, deadline: Deadline, now: datetime) -> None:
        ctx = self._dispatcher.context(SYSTEM, now)
        try:
            with uow.conn.begin_nested():
                unit = uow.fresh()
                self._dispatcher.handle(unit, command_for(deadline), ctx)
                unit.check_all_saved()
                unit.deadlines.done(deadline)
        except Exception:
            log.exception("deadline failed", kind=deadline.kind.value, subject=deadline.subject_id)
            delay = min(MAX_RETRY_DELAY_S, 5 * 2**deadline.failures)
            uow.fresh().deadlines.retry_later(deadline, now + timedelta(seconds=delay))

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
                    self.run_due()
                    self._sleep(stop)
                except Exception:
                    log.exception("deadline engine iteration failed; retrying")
                    stop.wait(self._poll_s)
        finally:
            self.running = False

    def _sleep(self, stop: threading.Event) -> None:
        now = self._dispatcher.clock.now()
        next_due = self.next_due_at()
        timeout = self._poll_s
        if next_due is not None:
            timeout = max(0.0, min(timeout, (next_due - now).total_seconds()))
        self._sleeping_until = now + timedelta(seconds=timeout)
        if timeout > 0 and not stop.is_set():
            self._wake.wait(timeout)
        self._wake.clear()
        self._sleeping_until = None

    def wake(self) -> None:
        """Cut the current sleep short (used at shutdown)."""
        self._wake.set()
