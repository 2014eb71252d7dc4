"""An order whose location no zone covers is kept, shown to those who may see it, and taken in
by the zone later drawn around it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import CENTRE, EAST, IN_CENTRE, NOWHERE, City, login

NOWHERE_BOX = {
    "type": "Polygon",
    "coordinates": [[[9.5, 9.5], [10.5, 9.5], [10.5, 10.5], [9.5, 10.5], [9.5, 9.5]]],
}


def _open_alerts(client: TestClient, city: City, order_id: str) -> list[str]:
    items = client.get("/api/v1/alerts", headers=city.admin).json()["items"]
    return [a["type"] for a in items if a["order_id"] == order_id]


def _zone_manager(client: TestClient, city: City, zone_id: str) -> dict[str, str]:
    created = client.post(
        "/api/v1/users",
        json={
            "username": "centre-manager",
            "password": "manager-password",
            "role": "manager",
            "zone_ids": [zone_id],
        },
        headers=city.admin,
    )
    assert created.status_code == 201, created.text
    return login(client, "centre-manager", "manager-password")


def test_an_order_outside_every_zone_is_kept_pending_with_an_alert(
    city: City, client: TestClient
) -> None:
    city.zone("Centre", CENTRE)
    order = city.order(NOWHERE)
    assert order["status"] == "pending"
    assert order["zone_id"] is None
    assert order["current_offer"] is None
    assert _open_alerts(client, city, order["id"]) == ["no_eligible_installer"]
    listed = client.get("/api/v1/orders", params={"status": "pending"}, headers=city.admin)
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]


def test_a_manager_limited_to_zones_neither_sees_nor_creates_orders_outside_them(
    city: City, client: TestClient
) -> None:
    centre = city.zone("Centre", CENTRE)
    order = city.order(NOWHERE)
    manager = _zone_manager(client, city, centre)
    assert client.get(f"/api/v1/orders/{order['id']}", headers=manager).status_code == 404
    assert client.get("/api/v1/orders", headers=manager).json()["items"] == []
    assert client.get("/api/v1/alerts", headers=manager).json()["items"] == []
    refused = client.post(
        "/api/v1/orders",
        json={
            "customer": {"name": "Li Lei", "phone": "+8613912345678"},
            "address": "Far away",
            "location": NOWHERE,
            "product": "Water heater",
        },
        headers=manager,
    )
    assert refused.status_code == 403
    assert len(client.get("/api/v1/orders", headers=city.admin).json()["items"]) == 1


def test_a_manager_assigns_an_order_outside_every_zone_to_an_installer(
    city: City, client: TestClient
) -> None:
    centre = city.zone("Centre", CENTRE)
    installer = city.installer([centre], at=IN_CENTRE)
    order = city.order(NOWHERE)
    assigned = client.post(
        f"/api/v1/orders/{order['id']}/assign",
        json={"installer_id": installer},
        headers=city.admin,
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["current_offer"]["installer_id"] == installer
    assert _open_alerts(client, city, order["id"]) == []


def test_a_zone_drawn_around_a_waiting_order_takes_it_in_and_dispatches_it(
    city: City, client: TestClient
) -> None:
    city.zone("Centre", CENTRE)
    order = city.order(NOWHERE)
    elsewhere = city.order({"lat": -10.0, "lon": -10.0})
    far = client.post(
        "/api/v1/zones", json={"name": "Far", "boundary": NOWHERE_BOX}, headers=city.admin
    ).json()["id"]
    installer = city.installer([far], at=NOWHERE)
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert detail["zone_id"] == far
    assert detail["status"] == "offered"
    assert detail["current_offer"]["installer_id"] == installer
    assert _open_alerts(client, city, order["id"]) == []
    untouched = client.get(f"/api/v1/orders/{elsewhere['id']}", headers=city.admin).json()
    assert untouched["zone_id"] is None
    assert untouched["status"] == "pending"


def test_a_zone_redrawn_to_cover_a_waiting_order_takes_it_in(
    city: City, client: TestClient
) -> None:
    east = city.zone("East", EAST)
    order = city.order(NOWHERE)
    redrawn = client.patch(
        f"/api/v1/zones/{east}", json={"boundary": NOWHERE_BOX}, headers=city.admin
    )
    assert redrawn.status_code == 200, redrawn.text
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert detail["zone_id"] == east
    assert detail["status"] == "pending"
    assert _open_alerts(client, city, order["id"]) == ["no_eligible_installer"]
