"""The policy and its ladders as JSON: what ``GET /policy`` returns, ``PUT /policy`` takes, and
what each policy version and each offer's own copy of its ladder are stored as.

Parsing names the exact field of every mistake (``escalation[2].action``), so a manager can
fix them all in one edit.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from dispatchd.domain.assignment import Ranking
from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.escalation import (
    DEFAULT_POLICY,
    CustomerNotice,
    EscalationStep,
    Ladder,
    Policy,
    StepAction,
    ladder_errors,
)
from dispatchd.domain.promises import (
    PromiseAction,
    PromiseKind,
    PromiseLadder,
    PromiseStep,
    promise_ladder_errors,
)

T = TypeVar("T")


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
            errors.append(_unknown_action(where, StepAction))
            continue
        amount = item.get("amount", 0) if action is StepAction.PENALIZE else 0
        steps.append(EscalationStep(int(item.get("after_s", 0)), action, int(amount or 0)))
    if errors:
        raise InvalidInput(errors)
    errors = ladder_errors(tuple(steps), field)
    if errors:
        raise InvalidInput(errors)
    return Ladder(tuple(steps))


def promise_ladder_json(ladder: PromiseLadder) -> list[dict[str, Any]]:
    """A promise's ladder as a list of steps, first step first."""
    steps = []
    for step in ladder.steps:
        data: dict[str, Any] = {"after_s": step.after_s, "action": step.action.value}
        if step.action is PromiseAction.PENALIZE:
            data["amount"] = step.amount
        steps.append(data)
    return steps


def promise_ladder_from_json(raw: list[dict[str, Any]], field: str) -> PromiseLadder:
    """A promise's ladder from its JSON form, every mistake naming its step and the fix."""
    errors: list[FieldError] = []
    steps: list[PromiseStep] = []
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        try:
            action = PromiseAction(str(item.get("action")))
        except ValueError:
            errors.append(_unknown_action(where, PromiseAction))
            continue
        amount = item.get("amount", 0) if action is PromiseAction.PENALIZE else 0
        steps.append(PromiseStep(int(item.get("after_s", 0)), action, int(amount or 0)))
    if errors:
        raise InvalidInput(errors)
    errors = promise_ladder_errors(tuple(steps), field)
    if errors:
        raise InvalidInput(errors)
    return PromiseLadder(tuple(steps))


def policy_json(policy: Policy) -> dict[str, Any]:
    """The policy as ``GET /api/v1/policy`` returns it and as each version is stored."""
    return {
        "escalation": ladder_json(policy.escalation),
        "max_auto_attempts": policy.max_auto_attempts,
        "customer_notice": policy.customer_notice.value,
        "promises": {
            kind.value: promise_ladder_json(policy.promise_ladder(kind)) for kind in PromiseKind
        },
        "max_window_s": policy.max_window_s,
        "ranking": _ranking_json(policy.ranking),
    }


def policy_from_json(body: dict[str, Any], keep: Policy = DEFAULT_POLICY) -> Policy:
    """A policy from its JSON form (a request body or a stored version).

    What the body leaves out — the promise ladders, the longest window, the ranking — is kept
    from ``keep`` (the policy in force), so an older client's ``PUT`` changes only what it sends.
    """
    errors: list[FieldError] = []
    escalation = _collect(errors, lambda: ladder_from_json(list(body["escalation"])))
    promises = dict(keep.promises)
    for kind, raw in (body.get("promises") or {}).items():
        try:
            promise = PromiseKind(kind)
        except ValueError:
            choices = ", ".join(kind.value for kind in PromiseKind)
            errors.append(
                FieldError(
                    f"promises.{kind}",
                    f"is no promise; choose from {choices}",
                    "unknown_promise",
                    {"choices": choices},
                )
            )
            continue
        ladder = _collect(errors, partial(promise_ladder_from_json, raw, f"promises.{promise}"))
        if ladder is not None:
            promises[promise] = ladder
    ranking = keep.ranking
    if body.get("ranking") is not None:
        weights = {**_ranking_json(keep.ranking), **body["ranking"]}
        ranking = _collect(errors, lambda: Ranking(**weights)) or keep.ranking
    if errors or escalation is None:
        raise InvalidInput(errors)
    return Policy(
        escalation=escalation,
        max_auto_attempts=int(body.get("max_auto_attempts", keep.max_auto_attempts)),
        customer_notice=CustomerNotice(str(body.get("customer_notice", "on_accept"))),
        promises=promises,
        max_window_s=int(body.get("max_window_s", keep.max_window_s)),
        ranking=ranking,
    )


def _ranking_json(ranking: Ranking) -> dict[str, float]:
    return {
        "distance_km": ranking.distance_km,
        "active_jobs": ranking.active_jobs,
        "rating": ranking.rating,
    }


def _collect(errors: list[FieldError], parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except InvalidInput as invalid:
        errors.extend(invalid.errors)
        return None


def _unknown_action(where: str, actions: type[StrEnum]) -> FieldError:
    """A step whose action is none of the ladder's, naming the ones it may be."""
    choices = ", ".join(action.value for action in actions)
    return FieldError(
        f"{where}.action", f"must be one of {choices}", "literal_error", {"expected": choices}
    )
