"""The console's inbox over the API: acknowledging a selection at once, and every closing
(acknowledged or settled by itself) announced as ``alert.closed``."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from dispatchd.service.clock import FakeClock
from tests.helpers import CENTRE, EAST, IN_CENTRE, IN_EAST, City, login
from tests.photos import jpeg


def _waiting_orders(city: City, count: int, at: dict[str, float] = IN_CENTRE) -> list[str]:
    """Orders nobody can take, each with its ``no_eligible_installer`` alert; their alert ids."""
    orders = [city.order(at, product=f"Heater {n}")["id"] for n in range(count)]
    items = city.client.get("/api/v1/alerts", headers=city.admin).json()["items"]
    by_order = {alert["order_id"]: alert["id"] for alert in items}
    return [by_order[order_id] for order_id in orders]


def _open_ids(city: City) -> set[str]:
    return {a["id"] for a in city.client.get("/api/v1/alerts", headers=city.admin).json()["items"]}


def _closings(city: City, order_id: str) -> list[dict[str, Any]]:
    detail = city.client.get(f"/api/v1/orders/{order_id}", headers=city.admin).json()
    return [event["data"] for event in detail["events"] if event["event"] == "alert.closed"]


def _manager_of(city: City, client: TestClient, zone_id: str) -> dict[str, str]:
    body = {"username": "eastie", "password": "manager-password", "role": "manager"}
    created = client.post("/api/v1/users", json={**body, "zone_ids": [zone_id]}, headers=city.admin)
    assert created.status_code == 201, created.text
    return login(client, "eastie", "manager-password")


def test_a_selection_of_alerts_is_acknowledged_at_once_and_the_rest_stay_open(
    city: City, client: TestClient
) -> None:
    city.zone()
    first, second, third = _waiting_orders(city, 3)
    response = client.post("/api/v1/alerts/ack", json={"ids": [third, first]}, headers=city.admin)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [a["id"] for a in items] == [third, first]
    assert all(a["acknowledged_at"] is not None for a in items)
    assert _open_ids(city) == {second}
    for alert in items:
        assert _closings(city, alert["order_id"]) == [
            {"alert_id": alert["id"], "type": "no_eligible_installer", "reason": "acknowledged"}
        ]


def test_acknowledging_a_selection_again_is_harmless_and_keeps_the_first_acknowledgement(
    city: City, client: TestClient, clock: FakeClock
) -> None:
    city.zone()
    first, second = _waiting_orders(city, 2)
    earlier = client.post(f"/api/v1/alerts/{first}/ack", headers=city.admin).json()
    clock.advance(60)
    again = client.post("/api/v1/alerts/ack", json={"ids": [first, second]}, headers=city.admin)
    assert again.status_code == 200, again.text
    by_id = {a["id"]: a for a in again.json()["items"]}
    assert by_id[first]["acknowledged_at"] == earlier["acknowledged_at"]
    assert by_id[second]["acknowledged_at"] > earlier["acknowledged_at"]
    assert _closings(city, earlier["order_id"]) == [
        {"alert_id": first, "type": "no_eligible_installer", "reason": "acknowledged"}
    ], "an alert closes, and is announced closed, once"
    assert _open_ids(city) == set()


def test_an_alert_outside_the_managers_zones_is_not_found_and_nothing_is_acknowledged(
    city: City, client: TestClient
) -> None:
    city.zone("Centre", CENTRE)
    east = city.zone("East", EAST)
    [in_centre] = _waiting_orders(city, 1)
    [in_east] = _waiting_orders(city, 1, IN_EAST)
    manager = _manager_of(city, client, east)
    hidden = client.post("/api/v1/alerts/ack", json={"ids": [in_east, in_centre]}, headers=manager)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert in_centre in hidden.json()["detail"]
    assert in_east not in hidden.json()["detail"]
    missing = client.post(
        "/api/v1/alerts/ack", json={"ids": [in_east, "alr_missing"]}, headers=manager
    )
    assert missing.status_code == 404
    assert "alr_missing" in missing.json()["detail"]
    assert _open_ids(city) == {in_centre, in_east}, "a refused selection acknowledges nothing"
    own = client.post("/api/v1/alerts/ack", json={"ids": [in_east]}, headers=manager)
    assert own.status_code == 200
    assert _open_ids(city) == {in_centre}


def test_a_selection_names_one_to_two_hundred_alerts_each_once(
    city: City, client: TestClient
) -> None:
    installer = city.installer([city.zone()], at=IN_CENTRE)
    [alert] = _waiting_orders(city, 1, IN_EAST)
    for ids in ([], [f"alr_{n}" for n in range(201)], [alert, alert]):
        refused = client.post("/api/v1/alerts/ack", json={"ids": ids}, headers=city.admin)
        assert refused.status_code == 422, ids
        assert [e["field"] for e in refused.json()["errors"]] == ["ids"]
    twice = client.post("/api/v1/alerts/ack", json={"ids": [alert, alert]}, headers=city.admin)
    assert twice.json()["errors"][0]["type"] == "unique_items"
    assert alert in twice.json()["errors"][0]["message"]
    as_installer = client.post(
        "/api/v1/alerts/ack", json={"ids": [alert]}, headers=city.as_installer(installer)
    )
    assert as_installer.status_code == 403
    assert _open_ids(city) == {alert}


def test_a_follow_up_made_closes_its_alert_and_announces_it_settled(
    city: City, client: TestClient
) -> None:
    me = city.installer([city.zone()], at=IN_CENTRE)
    order = city.order()
    headers = city.as_installer(me)
    client.post(f"/api/v1/offers/{order['current_offer']['id']}/accept", headers=headers)
    client.post(f"/api/v1/orders/{order['id']}/start", headers=headers)
    done = client.post(
        f"/api/v1/orders/{order['id']}/complete",
        files={"photo": ("work.jpg", jpeg(), "image/jpeg")},
        headers=headers,
    )
    assert done.json()["flags"] == ["missing_service_code"]
    [alert] = client.get("/api/v1/alerts", headers=city.admin).json()["items"]
    assert alert["type"] == "follow_up_required"
    resolved = client.post(
        f"/api/v1/orders/{order['id']}/follow-up",
        json={"outcome": "customer confirmed"},
        headers=city.admin,
    )
    assert resolved.status_code == 200, resolved.text
    assert _open_ids(city) == set()
    assert _closings(city, order["id"]) == [
        {"alert_id": alert["id"], "type": "follow_up_required", "reason": "settled"}
    ]


def test_an_order_cancelled_announces_each_of_its_open_alerts_closed(
    city: City, client: TestClient
) -> None:
    city.zone()
    [alert] = _waiting_orders(city, 1)
    order_id = client.get("/api/v1/alerts", headers=city.admin).json()["items"][0]["order_id"]
    cancelled = client.post(
        f"/api/v1/orders/{order_id}/cancel", json={"reason": "customer"}, headers=city.admin
    )
    assert cancelled.status_code == 200, cancelled.text
    assert _closings(city, order_id) == [
        {"alert_id": alert, "type": "no_eligible_installer", "reason": "settled"}
    ]
