"""``Idempotency-Key``: a retried request returns the first answer and does nothing again."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import IN_CENTRE, City

ORDER = {
    "customer": {"name": "Li Lei", "phone": "+8613912345678"},
    "address": "1 Nanjing Road",
    "location": IN_CENTRE,
    "product": "Air conditioner",
}


def test_a_retried_order_creation_returns_the_first_order_and_creates_no_second(
    city: City, client: TestClient
) -> None:
    city.zone()
    headers = {**city.admin, "Idempotency-Key": "order-42"}
    first = client.post("/api/v1/orders", json=ORDER, headers=headers)
    again = client.post("/api/v1/orders", json=ORDER, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(client.get("/api/v1/orders", headers=city.admin).json()["items"]) == 1


def test_the_same_key_with_a_different_body_is_refused(city: City, client: TestClient) -> None:
    city.zone()
    headers = {**city.admin, "Idempotency-Key": "order-43"}
    client.post("/api/v1/orders", json=ORDER, headers=headers)
    other = client.post("/api/v1/orders", json={**ORDER, "product": "Heater"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(client.get("/api/v1/orders", headers=city.admin).json()["items"]) == 1


def test_a_retried_accept_is_not_a_conflict(city: City, client: TestClient) -> None:
    zone = city.zone()
    me = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    path = f"/api/v1/offers/{order['current_offer']['id']}/accept"
    headers = {**city.as_installer(me), "Idempotency-Key": "tap-1"}
    first = client.post(path, headers=headers)
    retry = client.post(path, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["status"] == "accepted"
    without_key = client.post(path, headers=city.as_installer(me))
    assert without_key.status_code == 409
    events = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()["events"]
    assert [e["event"] for e in events].count("offer.accepted") == 1


def test_keys_belong_to_their_user(city: City, client: TestClient) -> None:
    zone = city.zone()
    one = city.installer([zone], at=IN_CENTRE, capacity=1)
    two = city.installer([zone], at={"lat": 31.25, "lon": 121.50})
    first = city.order()
    second = city.order()
    assert first["current_offer"]["installer_id"] == one
    assert second["current_offer"]["installer_id"] == two
    a = client.post(
        f"/api/v1/offers/{first['current_offer']['id']}/accept",
        headers={**city.as_installer(one), "Idempotency-Key": "same"},
    )
    b = client.post(
        f"/api/v1/offers/{second['current_offer']['id']}/accept",
        headers={**city.as_installer(two), "Idempotency-Key": "same"},
    )
    assert a.status_code == b.status_code == 200
    assert a.json()["id"] != b.json()["id"]


def test_a_failed_request_does_not_consume_its_key(city: City, client: TestClient) -> None:
    me = city.installer([city.zone()], at=IN_CENTRE)
    order = city.order()
    headers = {**city.as_installer(me), "Idempotency-Key": "start-after-accepting"}
    too_early = client.post(f"/api/v1/orders/{order['id']}/start", headers=headers)
    assert too_early.status_code == 404, "not their job until they accept it"
    offer_id = order["current_offer"]["id"]
    accepted = client.post(f"/api/v1/offers/{offer_id}/accept", headers=city.as_installer(me))
    assert accepted.status_code == 200
    started = client.post(f"/api/v1/orders/{order['id']}/start", headers=headers)
    assert started.status_code == 200
    assert started.json()["status"] == "in_progress"


def test_a_malformed_key_is_refused(city: City, client: TestClient) -> None:
    response = client.post(
        "/api/v1/orders", json=ORDER, headers={**city.admin, "Idempotency-Key": "x" * 201}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
