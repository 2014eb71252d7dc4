"""Deadlines coming due: the engine's round, and the steps it runs.

A round claims due deadlines and runs them as one batch in a savepoint. If the batch fails,
each deadline is run alone in its own savepoint, so one poisoned step is isolated — pushed
back with its failure counted — while the rest commit. A step PostgreSQL aborts to break a
deadlock stays due for the next round rather than counting as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from dispatchd.domain.deadlines import Deadline
from dispatchd.faults import crash_point
from dispatchd.service.commands import FireDueDeadlines, RunDueSteps
from dispatchd.service.context import Context
from dispatchd.service.due_steps import run_due_steps
from dispatchd.service.reactions import react
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.database import is_transient

log = structlog.get_logger(__name__)

MAX_RETRY_DELAY_S = 300


@dataclass(frozen=True)
class Round:
    """What one round of the engine did."""

    claimed: tuple[Deadline, ...]
    ran: int
    failed: int


def run_steps(cmd: RunDueSteps, uow: UnitOfWork, ctx: Context) -> int:
    """Carry out the given due steps; returns how many took effect."""
    return run_due_steps(uow, list(cmd.deadlines), ctx)


def fire_due_deadlines(cmd: FireDueDeadlines, uow: UnitOfWork, ctx: Context) -> Round:
    """Claim up to ``limit`` due deadlines and run them, isolating any that fail."""
    due = uow.deadlines.claim_due(ctx.now, cmd.limit)
    if not due:
        return Round((), 0, 0)
    try:
        with uow.savepoint() as unit:
            ran = _run(unit, due, ctx)
        failed = 0
    except Exception as exc:
        log.warning(
            "batch of due steps failed; running them one by one",
            size=len(due),
            error=type(exc).__name__,
        )
        ran, failed = _one_by_one(uow, due, ctx)
    crash_point("deadlines.before_commit")
    return Round(tuple(due), ran, failed)


def _run(unit: UnitOfWork, due: list[Deadline], ctx: Context) -> int:
    ran = run_due_steps(unit, due, ctx)
    react(unit, ctx)
    unit.check_all_saved()
    return ran


def _one_by_one(uow: UnitOfWork, due: list[Deadline], ctx: Context) -> tuple[int, int]:
    ran = failed = 0
    for deadline in due:
        try:
            with uow.savepoint() as unit:
                ran += _run(unit, [deadline], ctx)
        except Exception as exc:
            if is_transient(exc):
                log.info("deadline step lost a lock race", subject=deadline.subject_id)
                continue
            log.exception("deadline failed", kind=deadline.kind.value, subject=deadline.subject_id)
            delay = min(MAX_RETRY_DELAY_S, 5 * 2**deadline.failures)
            uow.fresh().deadlines.retry_later(deadline, ctx.now + timedelta(seconds=delay))
            failed += 1
    return ran, failed
