"""The escalation ladder: what happens, and when, to an offer nobody answers.

The patent's two embodiments (remind → revoke, and remind → penalize → revoke) are just two
ladders; the ladder is policy data that managers edit, validated here so that every offer's
escalation ends in exactly one revoke.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dispatchd.domain.assignment import Ranking
from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.promises import (
    NO_LADDER,
    PromiseAction,
    PromiseKind,
    PromiseLadder,
    PromiseStep,
)

MAX_PERIOD_S = 7 * 24 * 3600
MAX_PENALTY = 1_000_000_000
MAX_STEPS = 20


class StepAction(StrEnum):
    """What a ladder step does to an unanswered offer."""

    REMIND = "remind"
    PENALIZE = "penalize"
    REVOKE = "revoke"


class CustomerNotice(StrEnum):
    """When the customer's phone learns who is coming and the service code."""

    ON_ACCEPT = "on_accept"
    ON_OFFER = "on_offer"


@dataclass(frozen=True)
class EscalationStep:
    """One rung: ``after_s`` seconds after the previous rung actually happened, do ``action``."""

    after_s: int
    action: StepAction
    amount: int = 0


@dataclass(frozen=True)
class Ladder:
    """An ordered, validated list of steps ending in exactly one revoke."""

    steps: tuple[EscalationStep, ...]

    def __post_init__(self) -> None:
        errors = ladder_errors(self.steps)
        if errors:
            raise InvalidInput(errors)

    def step(self, index: int) -> EscalationStep:
        """The rung at ``index`` (0 = the first reminder-or-revoke after sending)."""
        return self.steps[index]


def ladder_errors(steps: tuple[EscalationStep, ...], field: str = "escalation") -> list[FieldError]:
    """Every reason a ladder is unusable, so a manager can fix them all in one edit."""
    errors: list[FieldError] = []
    if not steps:
        return [
            FieldError(
                field, "needs at least one step, and the last must be a revoke", "ladder_empty"
            )
        ]
    if len(steps) > MAX_STEPS:
        errors.append(
            FieldError(
                field,
                f"has {len(steps)} steps; at most {MAX_STEPS} allowed",
                "too_many_steps",
                {"max": MAX_STEPS},
            )
        )
    for index, step in enumerate(steps):
        where = f"{field}[{index}]"
        if not 0 < step.after_s <= MAX_PERIOD_S:
            errors.append(
                FieldError(
                    f"{where}.after_s",
                    f"must be a whole number of seconds from 1 to {MAX_PERIOD_S}, "
                    f"got {step.after_s}",
                    "seconds_range",
                    {"min": 1, "max": MAX_PERIOD_S},
                )
            )
        if step.action is StepAction.PENALIZE and not 0 < step.amount <= MAX_PENALTY:
            errors.append(
                FieldError(
                    f"{where}.amount",
                    "a penalize step needs a positive amount in minor currency units, "
                    f"got {step.amount}",
                    "penalty_amount",
                )
            )
    revokes = [i for i, step in enumerate(steps) if step.action is StepAction.REVOKE]
    last = len(steps) - 1
    if revokes != [last]:
        errors.append(
            FieldError(
                field,
                "must end with exactly one revoke step (and have no revoke before the end)",
                "ladder_revoke_last",
            )
        )
    return errors


DEFAULT_PROMISES: dict[PromiseKind, PromiseLadder] = {
    PromiseKind.APPOINTMENT: PromiseLadder(
        (
            PromiseStep(1800, PromiseAction.REMIND),
            PromiseStep(3600, PromiseAction.ALERT),
            PromiseStep(3600, PromiseAction.PENALIZE, 1000),
        )
    ),
    PromiseKind.ARRIVAL: PromiseLadder(
        (PromiseStep(0, PromiseAction.ALERT), PromiseStep(1800, PromiseAction.PENALIZE, 2000))
    ),
    PromiseKind.COMPLETION: PromiseLadder((PromiseStep(14400, PromiseAction.ALERT),)),
}
DEFAULT_MAX_WINDOW_S = 4 * 3600
MAX_WINDOW_LIMIT_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Policy:
    """The deployment's dispatch rules; a change applies to offers (and promises) made after it.

    ``promises`` holds a ladder for each promise after acceptance (a kind left out watches
    nothing), ``max_window_s`` the longest arrival window an appointment may have, and
    ``ranking`` how automatic offers weigh the eligible installers.
    """

    escalation: Ladder
    max_auto_attempts: int = 3
    customer_notice: CustomerNotice = CustomerNotice.ON_ACCEPT
    promises: Mapping[PromiseKind, PromiseLadder] = field(
        default_factory=lambda: dict(DEFAULT_PROMISES)
    )
    max_window_s: int = DEFAULT_MAX_WINDOW_S
    ranking: Ranking = field(default_factory=Ranking)

    def __post_init__(self) -> None:
        errors = []
        if not 1 <= self.max_auto_attempts <= 100:
            errors.append(
                FieldError(
                    "max_auto_attempts",
                    f"must be a whole number from 1 to 100, got {self.max_auto_attempts}",
                    "number_range",
                    {"min": 1, "max": 100},
                )
            )
        if not 600 <= self.max_window_s <= MAX_WINDOW_LIMIT_S:
            errors.append(
                FieldError(
                    "max_window_s",
                    f"must be from 600 s (10 minutes) to {MAX_WINDOW_LIMIT_S} s (a week), "
                    f"got {self.max_window_s}",
                    "seconds_range",
                    {"min": 600, "max": MAX_WINDOW_LIMIT_S},
                )
            )
        if errors:
            raise InvalidInput(errors)

    def promise_ladder(self, kind: PromiseKind) -> PromiseLadder:
        """The ladder that watches this promise (an empty one when none is set)."""
        return self.promises.get(kind, NO_LADDER)


DEFAULT_POLICY = Policy(
    escalation=Ladder(
        (
            EscalationStep(300, StepAction.REMIND),
            EscalationStep(300, StepAction.PENALIZE, 2000),
            EscalationStep(600, StepAction.REVOKE),
        )
    ),
    max_auto_attempts=3,
    customer_notice=CustomerNotice.ON_ACCEPT,
)
