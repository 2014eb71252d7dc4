"""What every handler is given besides the command: who acts, when, and shared components."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatchd.config import Settings
from dispatchd.domain.geo import Point
from dispatchd.service.actors import Actor
from dispatchd.service.installer_map import InstallerMap
from dispatchd.service.keys import DeploymentKey
from dispatchd.service.service_codes import ServiceCodeStock
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.service.zone_map import ZoneMap


@dataclass(frozen=True)
class Context:
    """The actor, the moment of the command, and the components handlers share."""

    actor: Actor
    now: datetime
    settings: Settings
    zone_map: ZoneMap
    key: DeploymentKey
    installer_map: InstallerMap
    service_codes: ServiceCodeStock

    def zones_containing(self, uow: UnitOfWork, where: Point) -> list[str]:
        """Zones containing the point, most specific first, from an up-to-date zone map."""
        self.zone_map.refresh(
            uow.zones.fingerprint(),
            lambda: [(z.id, z.boundary) for z in uow.zones.all() if z.boundary is not None],
        )
        return self.zone_map.containing(where)
