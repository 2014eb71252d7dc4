"""The escalation policy (the ladder of reminders, penalties and the revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from dispatchd.api.deps import ConsoleActor, CurrentActor, DispatcherDep, Idempotency
from dispatchd.api.rendering import respond, with_view
from dispatchd.api.schemas import PolicyBody
from dispatchd.domain.escalation import CustomerNotice, Ladder, Policy
from dispatchd.service.commands import SetPolicy
from dispatchd.service.offering import current_policy
from dispatchd.service.unit_of_work import UnitOfWork

router = APIRouter(tags=["policy"])


@router.get("/policy", response_model=PolicyBody)
def get_policy(_actor: CurrentActor, dispatcher: DispatcherDep) -> PolicyBody:
    """The policy in force for offers sent from now on."""
    with dispatcher.reading() as conn:
        _version, policy = current_policy(UnitOfWork(conn))
    return PolicyBody.model_validate(policy.as_dict())


@router.put("/policy", response_model=PolicyBody)
def set_policy(
    body: PolicyBody, actor: ConsoleActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Replace the policy; offers already sent keep the ladder they were sent with."""
    policy = Policy(
        escalation=Ladder.from_list(
            [step.model_dump(exclude_none=True) for step in body.escalation]
        ),
        max_auto_attempts=body.max_auto_attempts,
        customer_notice=CustomerNotice(body.customer_notice),
    )
    return respond(
        dispatcher.execute_rendered(SetPolicy(policy), actor, with_view(Policy.as_dict), idem)
    )
