"""First start and every start: schema up to date, then what an empty database needs.

The schema is migrated first (outside any command: a migration is not a state change of the
dispatcher's world); the seeding is a command like any other (``PrepareDeployment``).
"""

from __future__ import annotations

from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import PrepareDeployment
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store.migrate import upgrade


def bootstrap(dispatcher: Dispatcher) -> str | None:
    """Migrate, then seed; returns a generated admin password (to be printed once), if any."""
    upgrade(dispatcher.database)
    generated: str | None = dispatcher.execute(
        PrepareDeployment(dispatcher.settings.admin_password), SYSTEM
    )
    return generated
