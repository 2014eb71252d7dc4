"""A city with one of everything, so generated requests can name objects that exist.

Fuzzers and property tests draw path parameters from these ids: zones, installers, orders in
every state an installer's actions depend on, an offer still open, alerts, a ledger entry, a
push subscription and a tracking link. Two zones, each with its own installer, and a manager
limited to the first, so that wrong-actor requests have someone to be wrong about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers import CENTRE, EAST, IN_CENTRE, IN_EAST, NOWHERE, City, login
from tests.photos import jpeg

MANAGER = "centre-manager"
MANAGER_PASSWORD = "manager-password"
INSTALLER_PASSWORD = "installer-password"
P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
PUSH_AUTH = "tBHItJI5svbpez7KI4CCXg"


@dataclass
class SeededCity:
    """The ids of what was built, by kind, and who may log in."""

    centre: str
    east: str
    installer: str
    other_installer: str
    orders: dict[str, str] = field(default_factory=dict)
    offers: dict[str, str] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    tracking_tokens: list[str] = field(default_factory=list)
    usernames: dict[str, str] = field(default_factory=dict)

    def path_values(self) -> dict[str, list[str]]:
        """Every seeded id under the path parameter name that takes it."""
        return {
            "zone_id": [self.centre, self.east],
            "installer_id": [self.installer, self.other_installer],
            "order_id": list(self.orders.values()),
            "offer_id": list(self.offers.values()),
            "alert_id": list(self.alerts),
            "subscription_id": list(self.subscriptions),
            "token": list(self.tracking_tokens),
        }


def seed_city(client: httpx.Client) -> SeededCity:
    """Build the city over the API (``client`` is in-process or talks to a live server).

    The installer of the centre holds one order in each state: offered, accepted, on the way,
    in progress, suspended, completed (with a photo and an open follow-up alert) and
    cancelled; the east's installer holds an accepted order of their own.
    """
    city = City(client)  # type: ignore[arg-type]
    centre = city.zone("Centre", CENTRE)
    east = city.zone("East", EAST)
    manager = client.post(
        "/api/v1/users",
        json={
            "username": MANAGER,
            "password": MANAGER_PASSWORD,
            "role": "manager",
            "zone_ids": [centre],
        },
        headers=city.admin,
    )
    assert manager.status_code == 201, manager.text
    installer = city.installer([centre], at=IN_CENTRE, capacity=20, name="Wang Wei")
    other = city.installer([east], at=IN_EAST, capacity=20, name="Zhao Lei")
    seeded = SeededCity(centre=centre, east=east, installer=installer, other_installer=other)
    seeded.usernames = {"installer": "installer1", "other_installer": "installer2"}
    mine = city.as_installer(installer)

    def order(name: str, at: dict[str, float] = IN_CENTRE) -> dict[str, Any]:
        created = city.order(at=at)
        seeded.orders[name] = created["id"]
        token = (created.get("tracking_url") or "").rpartition("/")[2]
        if token:
            seeded.tracking_tokens.append(token)
        if created.get("current_offer"):
            seeded.offers[name] = created["current_offer"]["id"]
        return created

    def act(name: str, action: str, **kwargs: Any) -> None:
        done = client.post(f"/api/v1/orders/{seeded.orders[name]}/{action}", headers=mine, **kwargs)
        assert done.status_code == 200, done.text

    def accept(name: str, headers: dict[str, str] = mine) -> None:
        done = client.post(f"/api/v1/offers/{seeded.offers[name]}/accept", headers=headers)
        assert done.status_code == 200, done.text

    order("offered")
    for name in ("accepted", "on_the_way", "in_progress", "suspended", "completed", "cancelled"):
        order(name)
        accept(name)
    act("on_the_way", "on-the-way")
    act("in_progress", "start")
    act("suspended", "suspend", json={"reason": "customer_absent", "note": "not home"})
    act("completed", "start")
    act("completed", "complete", files={"photo": ("work.jpg", jpeg(), "image/jpeg")})
    cancelled = client.post(
        f"/api/v1/orders/{seeded.orders['cancelled']}/cancel",
        json={"reason": "customer moved"},
        headers=city.admin,
    )
    assert cancelled.status_code == 200, cancelled.text
    order("east", at=IN_EAST)
    accept("east", city.as_installer(other))
    order("nowhere", at=NOWHERE)
    ledger = client.post(
        f"/api/v1/installers/{installer}/ledger",
        json={"amount": 500, "reason": "adjustment", "note": "fuel"},
        headers=city.admin,
    )
    assert ledger.status_code == 201, ledger.text
    alerts = client.get("/api/v1/alerts", headers=city.admin)
    assert alerts.status_code == 200, alerts.text
    seeded.alerts = [alert["id"] for alert in alerts.json()["items"]]
    assert seeded.alerts, "the completion without a code and the order nowhere raise alerts"
    subscribed = client.post(
        "/api/v1/me/push-subscriptions",
        json={
            "endpoint": "https://fcm.googleapis.com/fcm/send/seeded",
            "keys": {"p256dh": P256DH, "auth": PUSH_AUTH},
        },
        headers=mine,
    )
    assert subscribed.status_code == 201, subscribed.text
    seeded.subscriptions.append(subscribed.json()["id"])
    return seeded


def manager_login(client: httpx.Client) -> dict[str, str]:
    """Headers of the manager limited to the centre."""
    return login(client, MANAGER, MANAGER_PASSWORD)  # type: ignore[arg-type]
