"""Deadlines: the moment a ladder's next step is due, for one subject.

A deadline is a fact the engine acts on: "run step ``step`` of ``subject_id``'s ladder at
``due_at``". It is written with the state it belongs to and removed when its step has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dispatchd.domain.promises import PromiseKind


class DeadlineKind(StrEnum):
    """What a deadline does when it comes due (the subject is an offer, or else an order)."""

    OFFER_STEP = "offer_step"
    APPOINTMENT_STEP = "appointment_step"
    ARRIVAL_STEP = "arrival_step"
    COMPLETION_STEP = "completion_step"
    SUSPENSION_END = "suspension_end"


PROMISE_DEADLINES = {
    PromiseKind.APPOINTMENT: DeadlineKind.APPOINTMENT_STEP,
    PromiseKind.ARRIVAL: DeadlineKind.ARRIVAL_STEP,
    PromiseKind.COMPLETION: DeadlineKind.COMPLETION_STEP,
}
PROMISE_OF_DEADLINE = {deadline: promise for promise, deadline in PROMISE_DEADLINES.items()}


@dataclass(frozen=True)
class Deadline:
    """A due action: run step ``step`` for ``subject_id`` at ``due_at``."""

    id: int
    kind: DeadlineKind
    subject_id: str
    step: int
    due_at: datetime
    failures: int = 0
