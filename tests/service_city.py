"""A small deployment built through the service layer, for tests that race commands."""

from __future__ import annotations

from dataclasses import dataclass

from dispatchd.domain.escalation import Policy
from dispatchd.domain.geo import Point
from dispatchd.domain.orders import Order
from dispatchd.service.actors import SYSTEM, Actor, Role
from dispatchd.service.commands import (
    CreateInstaller,
    CreateOrder,
    CreateZone,
    ReportLocation,
    SetDuty,
    SetPolicy,
)
from dispatchd.service.dispatcher import Dispatcher
from tests.helpers import CENTRE

CENTRE_POINT = Point(31.23, 121.47)


@dataclass(frozen=True)
class OneInstallerCity:
    """A zone with one installer on duty who can take many jobs at once."""

    dispatcher: Dispatcher
    installer_id: str
    installer: Actor

    def order(self) -> Order:
        """A new order in the zone, offered at once to the one installer."""
        order: Order = self.dispatcher.execute(
            CreateOrder("Li Lei", "+8613912345678", "1 Nanjing Road", CENTRE_POINT, "AC"), SYSTEM
        )
        return order


def one_installer_city(
    dispatcher: Dispatcher, policy: Policy, capacity: int = 10_000
) -> OneInstallerCity:
    """Set the policy, draw the zone and put one installer on duty in its middle."""
    dispatcher.execute(SetPolicy(policy), SYSTEM)
    zone = dispatcher.execute(CreateZone("Centre", CENTRE), SYSTEM)
    record = dispatcher.execute(
        CreateInstaller(
            "Wang Wei", "+8613800138000", (zone.id,), capacity, (), "wang", "installer-password"
        ),
        SYSTEM,
    )
    actor = Actor(f"usr_{record.id}", Role.INSTALLER, installer_id=record.id)
    dispatcher.execute(ReportLocation(record.id, CENTRE_POINT), actor)
    dispatcher.execute(SetDuty(record.id, True), actor)
    return OneInstallerCity(dispatcher, record.id, actor)
