"""The escalation policy (the ladder of reminders, penalties and the revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from dispatchd.api.deps import ConsoleActor, CurrentActor, DispatcherDep, Idempotency
from dispatchd.api.rendering import respond, with_view
from dispatchd.api.requests import PolicyBody
from dispatchd.service.commands import SetPolicy
from dispatchd.service.offering import current_policy
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.wire.policy import policy_from_json, policy_json

router = APIRouter(tags=["policy"])


@router.get("/policy", response_model=PolicyBody)
def get_policy(_actor: CurrentActor, dispatcher: DispatcherDep) -> PolicyBody:
    """The policy in force for offers sent from now on."""
    with dispatcher.reading() as conn:
        _version, policy = current_policy(UnitOfWork(conn))
    return PolicyBody.model_validate(policy_json(policy))


@router.put("/policy", response_model=PolicyBody)
def set_policy(
    body: PolicyBody, actor: ConsoleActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Replace the policy; offers already sent keep the ladder they were sent with.

    What the body leaves out (promise ladders, the longest window, the ranking) is kept.
    """
    with dispatcher.reading() as conn:
        _version, in_force = current_policy(UnitOfWork(conn))
    policy = policy_from_json(body.model_dump(exclude_none=True), keep=in_force)
    return respond(
        dispatcher.execute_rendered(SetPolicy(policy), actor, with_view(policy_json), idem)
    )
