"""Promises after acceptance: the appointment, the arrival and the completion, each watched
by a ladder the way the offer is.

The offer's ladder watches "answer the offer"; these watch what comes after it:

- ``appointment``: from the acceptance until an arrival window is agreed with the customer;
- ``arrival``: from the window's end until the start is reported (a moved window starts it
  afresh);
- ``completion``: from the start until the completion.

Each step runs ``after_s`` seconds after the step before it actually happened (the first
after the promise's moment, where ``0`` is allowed), so after downtime a ladder resumes one
step at a time. A kept promise ends its ladder; a suspended order's promises pause and keep
the time they had left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.ledger import (
    LATE_APPOINTMENT_PENALTY,
    LATE_ARRIVAL_PENALTY,
    LATE_COMPLETION_PENALTY,
)

MAX_PROMISE_PERIOD_S = 30 * 24 * 3600
MAX_PROMISE_STEPS = 20
MAX_PROMISE_PENALTY = 1_000_000_000


class PromiseKind(StrEnum):
    """Which promise a ladder watches."""

    APPOINTMENT = "appointment"
    ARRIVAL = "arrival"
    COMPLETION = "completion"

    @property
    def penalty_reason(self) -> str:
        """The ledger reason of this promise's penalties."""
        return _PENALTY_REASONS[self]


_PENALTY_REASONS = {
    PromiseKind.APPOINTMENT: LATE_APPOINTMENT_PENALTY,
    PromiseKind.ARRIVAL: LATE_ARRIVAL_PENALTY,
    PromiseKind.COMPLETION: LATE_COMPLETION_PENALTY,
}


class PromiseAction(StrEnum):
    """What a promise's step does when the promise is not yet kept."""

    REMIND = "remind"
    ALERT = "alert"
    PENALIZE = "penalize"
    REASSIGN = "reassign"


@dataclass(frozen=True)
class PromiseStep:
    """One step: ``after_s`` seconds after the previous one (the first: the promise's moment)."""

    after_s: int
    action: PromiseAction
    amount: int = 0


@dataclass(frozen=True)
class PromiseLadder:
    """A validated list of steps; empty watches nothing, a reassign may only come last."""

    steps: tuple[PromiseStep, ...] = ()

    def __post_init__(self) -> None:
        errors = promise_ladder_errors(self.steps)
        if errors:
            raise InvalidInput(errors)

    def step(self, index: int) -> PromiseStep:
        """The step at ``index``."""
        return self.steps[index]

    def __len__(self) -> int:
        return len(self.steps)


def promise_ladder_errors(steps: tuple[PromiseStep, ...], field: str = "") -> list[FieldError]:
    """Every reason a promise ladder is unusable, each naming its step and the fix."""
    errors: list[FieldError] = []
    if len(steps) > MAX_PROMISE_STEPS:
        errors.append(
            FieldError(
                field,
                f"has {len(steps)} steps; at most {MAX_PROMISE_STEPS} allowed",
                "too_many_steps",
                {"max": MAX_PROMISE_STEPS},
            )
        )
    for index, step in enumerate(steps):
        where = f"{field}[{index}]"
        lowest = 0 if index == 0 else 1
        if not lowest <= step.after_s <= MAX_PROMISE_PERIOD_S:
            errors.append(
                FieldError(
                    f"{where}.after_s",
                    f"must be a whole number of seconds from {lowest} to {MAX_PROMISE_PERIOD_S}"
                    f"{' (only the first step may run at once)' if index else ''}, "
                    f"got {step.after_s}",
                    "later_step_seconds" if index else "seconds_range",
                    {"min": lowest, "max": MAX_PROMISE_PERIOD_S},
                )
            )
        if step.action is PromiseAction.PENALIZE and not 0 < step.amount <= MAX_PROMISE_PENALTY:
            errors.append(
                FieldError(
                    f"{where}.amount",
                    "a penalize step needs a positive amount in minor currency units, "
                    f"got {step.amount}",
                    "penalty_amount",
                )
            )
        if step.action is PromiseAction.REASSIGN and index != len(steps) - 1:
            errors.append(
                FieldError(
                    f"{where}.action",
                    "reassign takes the job away and ends the ladder: it may only be the last step",
                    "reassign_last",
                )
            )
    return errors


NO_LADDER = PromiseLadder()


@dataclass(frozen=True)
class PromiseStepTaken:
    """The step that just ran on a promise: what the service layer must now carry out."""

    kind: PromiseKind
    index: int
    step: PromiseStep
    at: datetime

    @property
    def action(self) -> PromiseAction:
        """The step's action."""
        return self.step.action


@dataclass
class Promise:
    """One promise of one order's installer, and where its ladder stands.

    ``next_step_at`` is None when the ladder has no step left, when the promise is kept or
    ended, and while it is paused (then ``time_left`` holds what remained of the period).
    """

    kind: PromiseKind
    installer_id: str
    ladder: PromiseLadder
    since: datetime
    steps_taken: int = 0
    next_step_at: datetime | None = None
    last_step_at: datetime | None = None
    kept_at: datetime | None = None
    ended_at: datetime | None = None
    paused_at: datetime | None = None
    time_left: timedelta | None = None

    @classmethod
    def start(
        cls, kind: PromiseKind, installer_id: str, ladder: PromiseLadder, since: datetime
    ) -> Promise:
        """A new promise whose first step comes ``after_s`` after its moment."""
        promise = cls(kind, installer_id, ladder, since)
        if len(ladder):
            promise.next_step_at = since + timedelta(seconds=ladder.step(0).after_s)
        return promise

    @property
    def is_open(self) -> bool:
        """Neither kept nor ended."""
        return self.kept_at is None and self.ended_at is None

    @property
    def paused(self) -> bool:
        """Paused with its order's suspension."""
        return self.paused_at is not None

    @property
    def next_step(self) -> PromiseStep | None:
        """The step still to come, if any."""
        return self.ladder.step(self.steps_taken) if self.steps_taken < len(self.ladder) else None

    def take_step(self, index: int, now: datetime) -> PromiseStepTaken | None:
        """Carry out step ``index`` if it is the one due; a stale or repeated call does nothing.

        The next step's period counts from ``now``, when this one actually happened.
        """
        if not self.is_open or self.paused or index != self.steps_taken:
            return None
        if self.next_step_at is None or index >= len(self.ladder):
            return None
        step = self.ladder.step(index)
        self.steps_taken = index + 1
        self.last_step_at = now
        following = self.next_step
        self.next_step_at = (
            None
            if following is None or step.action is PromiseAction.REASSIGN
            else now + timedelta(seconds=following.after_s)
        )
        return PromiseStepTaken(self.kind, index, step, now)

    def keep(self, now: datetime) -> bool:
        """The promise was kept: its ladder ends. False if it was no longer open."""
        if not self.is_open:
            return False
        self.kept_at = now
        self._stop()
        return True

    def end(self, now: datetime) -> bool:
        """The promise no longer stands (the job was taken away or cancelled), unkept."""
        if not self.is_open:
            return False
        self.ended_at = now
        self._stop()
        return True

    def pause(self, now: datetime) -> None:
        """Stop the clock, keeping the time left to the next step (to the microsecond)."""
        if not self.is_open or self.paused:
            return
        self.paused_at = now
        if self.next_step_at is not None:
            self.time_left = max(timedelta(0), self.next_step_at - now)
            self.next_step_at = None

    def resume(self, now: datetime) -> None:
        """Start the clock again with the time that was left."""
        if not self.paused:
            return
        if self.time_left is not None and self.is_open:
            self.next_step_at = now + self.time_left
        self.paused_at = None
        self.time_left = None

    def _stop(self) -> None:
        self.next_step_at = None
        self.paused_at = None
        self.time_left = None
