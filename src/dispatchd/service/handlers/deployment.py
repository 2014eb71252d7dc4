"""What every start makes sure of: a policy in force, an admin, the Web Push key pair.

Processes starting together on one PostgreSQL take turns (an advisory lock), so only the
first seeds anything and the others find it done.
"""

from __future__ import annotations

import secrets

from dispatchd.domain.escalation import DEFAULT_POLICY
from dispatchd.service.actors import Role
from dispatchd.service.commands import PrepareDeployment
from dispatchd.service.context import Context
from dispatchd.service.handlers.accounts import new_user
from dispatchd.service.handlers.push import ensure_vapid_keys
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock

ADMIN_USERNAME = "admin"


def prepare_deployment(cmd: PrepareDeployment, uow: UnitOfWork, ctx: Context) -> str | None:
    """Seed what an empty database needs; returns the admin password if one was generated.

    A password is generated only when there is no account yet and none was configured.
    """
    advisory_xact_lock(uow.conn, AdvisoryLock.SCHEMA)
    generated = None
    if uow.policies.current() is None:
        uow.policies.add(DEFAULT_POLICY, ctx.now, None)
    if uow.users.count() == 0:
        password = cmd.admin_password
        if not password:
            password = generated = secrets.token_urlsafe(12)
        new_user(uow, ctx, ADMIN_USERNAME, password, Role.ADMIN)
    ensure_vapid_keys(uow, ctx.now)
    return generated
