"""The escalation policy: managers change it; offers already sent keep the one they had."""

from __future__ import annotations

from dispatchd.domain.errors import NotAllowed
from dispatchd.domain.escalation import Policy
from dispatchd.service.commands import SetPolicy
from dispatchd.service.context import Context
from dispatchd.service.unit_of_work import UnitOfWork


def set_policy(cmd: SetPolicy, uow: UnitOfWork, ctx: Context) -> Policy:
    """Store a new policy version, applied to offers sent from now on."""
    if ctx.actor.zone_ids is not None:
        raise NotAllowed(
            "the policy is deployment-wide; a manager limited to zones cannot change it"
        )
    uow.policies.add(cmd.policy, ctx.now, ctx.actor.user_id)
    return cmd.policy
