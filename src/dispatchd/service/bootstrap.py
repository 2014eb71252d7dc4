"""First start and every start: schema up to date, a policy in force, an admin who can log in.

The VAPID key pair that phones subscribe to Web Push against is made here too, once.
"""

from __future__ import annotations

import secrets

from dispatchd.domain.escalation import DEFAULT_POLICY
from dispatchd.service.actors import SYSTEM, Role
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.handlers.accounts import new_user
from dispatchd.service.handlers.push import ensure_vapid_keys
from dispatchd.store.migrate import upgrade
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock

ADMIN_USERNAME = "admin"


def bootstrap(dispatcher: Dispatcher) -> str | None:
    """Migrate, then seed what an empty database needs; returns a generated admin password.

    The password is generated (and returned, to be printed once) only when the database has
    no accounts and ``DISPATCHD_ADMIN_PASSWORD`` is unset. Processes starting together on one
    PostgreSQL take turns, so only the first seeds anything.
    """
    upgrade(dispatcher.database)
    generated = None
    with dispatcher.transaction() as uow:
        advisory_xact_lock(uow.conn, AdvisoryLock.SCHEMA)
        ctx = dispatcher.context(SYSTEM)
        if uow.policies.current() is None:
            uow.policies.add(DEFAULT_POLICY, ctx.now, None)
        if uow.users.count() == 0:
            password = dispatcher.settings.admin_password
            if not password:
                password = generated = secrets.token_urlsafe(12)
            new_user(uow, ctx, ADMIN_USERNAME, password, Role.ADMIN)
        ensure_vapid_keys(uow, ctx.now)
    return generated
