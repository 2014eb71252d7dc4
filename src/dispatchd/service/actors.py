"""Who is acting: role, zones and installer identity, as every authorization check needs them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dispatchd.store.event_log import Audience


class Role(StrEnum):
    """What an account may do."""

    ADMIN = "admin"
    MANAGER = "manager"
    INSTALLER = "installer"
    INTEGRATION = "integration"


@dataclass(frozen=True)
class Actor:
    """The authenticated caller (or the system itself, for the engine)."""

    user_id: str
    role: Role
    installer_id: str | None = None
    zone_ids: frozenset[str] | None = None

    @property
    def is_console(self) -> bool:
        """Admins and managers: the dispatcher console's users."""
        return self.role in (Role.ADMIN, Role.MANAGER)

    def sees_zone(self, zone_id: str | None) -> bool:
        """Whether this actor may see things in the zone (installers: never by zone)."""
        if self.role is Role.INSTALLER:
            return False
        return self.zone_ids is None or zone_id in self.zone_ids

    def audience(self) -> Audience:
        """Which events this actor may see."""
        if self.role is Role.INSTALLER:
            return Audience(installer_id=self.installer_id or "")
        return Audience(zone_ids=self.zone_ids)


SYSTEM = Actor(user_id="system", role=Role.ADMIN)
# The customer acting through their tracking link: no account, sees no zone; the handlers
# find their order by the link's token alone.
CUSTOMER = Actor(user_id="customer", role=Role.INTEGRATION, zone_ids=frozenset())
