"""The escalation ladder: what happens, and when, to an offer nobody answers.

The patent's two embodiments (remind → revoke, and remind → penalize → revoke) are just two
ladders; the ladder is policy data that managers edit, validated here so that every offer's
escalation ends in exactly one revoke.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dispatchd.domain.errors import FieldError, InvalidInput

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

    def as_dict(self) -> dict[str, Any]:
        """The step as the API and the offer's stored snapshot spell it."""
        data: dict[str, Any] = {"after_s": self.after_s, "action": self.action.value}
        if self.action is StepAction.PENALIZE:
            data["amount"] = self.amount
        return data


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

    def as_list(self) -> list[dict[str, Any]]:
        """The ladder as stored on each offer, so later policy edits never change it."""
        return [step.as_dict() for step in self.steps]

    @classmethod
    def from_list(cls, raw: list[dict[str, Any]], field: str = "escalation") -> Ladder:
        """Parse a ladder from JSON-shaped data, naming the exact field of every mistake."""
        errors: list[FieldError] = []
        steps: list[EscalationStep] = []
        for index, item in enumerate(raw):
            where = f"{field}[{index}]"
            try:
                action = StepAction(str(item.get("action")))
            except ValueError:
                errors.append(
                    FieldError(f"{where}.action", "must be one of remind, penalize, revoke")
                )
                continue
            amount = item.get("amount", 0) if action is StepAction.PENALIZE else 0
            steps.append(EscalationStep(int(item.get("after_s", 0)), action, int(amount or 0)))
        if errors:
            raise InvalidInput(errors)
        errors = ladder_errors(tuple(steps), field)
        if errors:
            raise InvalidInput(errors)
        return cls(tuple(steps))


def ladder_errors(steps: tuple[EscalationStep, ...], field: str = "escalation") -> list[FieldError]:
    """Every reason a ladder is unusable, so a manager can fix them all in one edit."""
    errors: list[FieldError] = []
    if not steps:
        return [FieldError(field, "needs at least one step, and the last must be a revoke")]
    if len(steps) > MAX_STEPS:
        errors.append(FieldError(field, f"has {len(steps)} steps; at most {MAX_STEPS} allowed"))
    for index, step in enumerate(steps):
        where = f"{field}[{index}]"
        if not 0 < step.after_s <= MAX_PERIOD_S:
            errors.append(
                FieldError(
                    f"{where}.after_s",
                    f"must be a whole number of seconds from 1 to {MAX_PERIOD_S}, "
                    f"got {step.after_s}",
                )
            )
        if step.action is StepAction.PENALIZE and not 0 < step.amount <= MAX_PENALTY:
            errors.append(
                FieldError(
                    f"{where}.amount",
                    "a penalize step needs a positive amount in minor currency units, "
                    f"got {step.amount}",
                )
            )
    revokes = [i for i, step in enumerate(steps) if step.action is StepAction.REVOKE]
    last = len(steps) - 1
    if revokes != [last]:
        errors.append(
            FieldError(
                field,
                "must end with exactly one revoke step (and have no revoke before the end)",
            )
        )
    return errors


@dataclass(frozen=True)
class Policy:
    """The deployment's dispatch rules; a change applies to offers sent after it."""

    escalation: Ladder
    max_auto_attempts: int = 3
    customer_notice: CustomerNotice = CustomerNotice.ON_ACCEPT

    def __post_init__(self) -> None:
        if not 1 <= self.max_auto_attempts <= 100:
            raise InvalidInput(
                [
                    FieldError(
                        "max_auto_attempts",
                        f"must be a whole number from 1 to 100, got {self.max_auto_attempts}",
                    )
                ]
            )

    def as_dict(self) -> dict[str, Any]:
        """The policy as ``GET /api/v1/policy`` returns it."""
        return {
            "escalation": self.escalation.as_list(),
            "max_auto_attempts": self.max_auto_attempts,
            "customer_notice": self.customer_notice.value,
        }


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
