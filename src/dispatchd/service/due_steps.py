"""One path for the due steps of every ladder: a batch of deadlines, of any kind, at once.

Each kind of ladder has a runner that takes all of the batch's due steps of that kind and
carries them out set-based; a single step is simply a batch of one. Deadlines the runner
leaves behind (the next step of the same ladder) are written by it; every deadline that ran
is gone when it returns.
"""

from __future__ import annotations

from collections.abc import Callable

from dispatchd.domain.deadlines import Deadline, DeadlineKind
from dispatchd.service.context import Context
from dispatchd.service.offer_ladder import run_offer_steps
from dispatchd.service.promise_ladders import run_promise_steps, run_suspension_ends
from dispatchd.service.unit_of_work import UnitOfWork

StepRunner = Callable[[UnitOfWork, list[Deadline], Context], int]

STEP_RUNNERS: dict[DeadlineKind, StepRunner] = {
    DeadlineKind.OFFER_STEP: run_offer_steps,
    DeadlineKind.APPOINTMENT_STEP: run_promise_steps,
    DeadlineKind.ARRIVAL_STEP: run_promise_steps,
    DeadlineKind.COMPLETION_STEP: run_promise_steps,
    DeadlineKind.SUSPENSION_END: run_suspension_ends,
}


def run_due_steps(uow: UnitOfWork, due: list[Deadline], ctx: Context) -> int:
    """Run every due step of the batch, kind by kind; returns how many took effect."""
    by_kind: dict[DeadlineKind, list[Deadline]] = {}
    for deadline in due:
        by_kind.setdefault(deadline.kind, []).append(deadline)
    return sum(STEP_RUNNERS[kind](uow, batch, ctx) for kind, batch in by_kind.items())
