"""The policy and its ladders as JSON: what ``GET /policy`` returns, ``PUT /policy`` takes, and
what each policy version and each offer's own copy of its ladder are stored as.

Parsing names the exact field of every mistake (``escalation[2].action``), so a manager can
fix them all in one edit.
"""

from __future__ import annotations

from typing import Any

from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.escalation import (
    CustomerNotice,
    EscalationStep,
    Ladder,
    Policy,
    StepAction,
    ladder_errors,
)


def step_json(step: EscalationStep) -> dict[str, Any]:
    """One rung: ``after_s`` and ``action``, and ``amount`` for a penalty."""
    data: dict[str, Any] = {"after_s": step.after_s, "action": step.action.value}
    if step.action is StepAction.PENALIZE:
        data["amount"] = step.amount
    return data


def ladder_json(ladder: Ladder) -> list[dict[str, Any]]:
    """The ladder as a list of rungs, first rung first."""
    return [step_json(step) for step in ladder.steps]


def ladder_from_json(raw: list[dict[str, Any]], field: str = "escalation") -> Ladder:
    """A ladder from its JSON form, or every reason it is unusable, each naming its field."""
    errors: list[FieldError] = []
    steps: list[EscalationStep] = []
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        try:
            action = StepAction(str(item.get("action")))
        except ValueError:
            choices = ", ".join(action.value for action in StepAction)
            errors.append(FieldError(f"{where}.action", f"must be one of {choices}"))
            continue
        amount = item.get("amount", 0) if action is StepAction.PENALIZE else 0
        steps.append(EscalationStep(int(item.get("after_s", 0)), action, int(amount or 0)))
    if errors:
        raise InvalidInput(errors)
    errors = ladder_errors(tuple(steps), field)
    if errors:
        raise InvalidInput(errors)
    return Ladder(tuple(steps))


def policy_json(policy: Policy) -> dict[str, Any]:
    """The policy as ``GET /api/v1/policy`` returns it and as each version is stored."""
    return {
        "escalation": ladder_json(policy.escalation),
        "max_auto_attempts": policy.max_auto_attempts,
        "customer_notice": policy.customer_notice.value,
    }


def policy_from_json(body: dict[str, Any]) -> Policy:
    """A policy from its JSON form (a request body or a stored version)."""
    return Policy(
        escalation=ladder_from_json(list(body["escalation"])),
        max_auto_attempts=int(body["max_auto_attempts"]),
        customer_notice=CustomerNotice(str(body["customer_notice"])),
    )
