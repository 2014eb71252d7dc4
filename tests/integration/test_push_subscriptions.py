"""Web Push from the phone's side: the VAPID key, subscribing, validation, unsubscribing."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.service.clock import FakeClock
from tests.helpers import City
from tests.outbound import StubResolver

P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"


def _subscription(
    endpoint: str = "https://fcm.googleapis.com/fcm/send/abc123",
) -> dict[str, object]:
    return {"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}, "expirationTime": None}


def _decoded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_vapid_public_key_is_a_p256_point_made_once_per_deployment(
    client: TestClient, settings: Settings
) -> None:
    key = client.get("/api/v1/push/vapid-public-key").json()["public_key"]
    point = _decoded(key)
    assert len(point) == 65
    assert point[0] == 4
    with TestClient(create_app(settings, FakeClock(), StubResolver())) as restarted:
        assert restarted.get("/api/v1/push/vapid-public-key").json()["public_key"] == key


def test_an_installer_subscribes_a_phone_and_unsubscribes_it(
    city: City, client: TestClient
) -> None:
    installer = city.installer([city.zone()])
    headers = city.as_installer(installer)
    created = client.post("/api/v1/me/push-subscriptions", json=_subscription(), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["endpoint"].startswith("https://fcm.googleapis.com/")
    assert "keys" not in body
    again = client.post("/api/v1/me/push-subscriptions", json=_subscription(), headers=headers)
    assert again.json()["id"] == body["id"]
    gone = client.delete(f"/api/v1/me/push-subscriptions/{body['id']}", headers=headers)
    assert gone.status_code == 204
    twice = client.delete(f"/api/v1/me/push-subscriptions/{body['id']}", headers=headers)
    assert twice.status_code == 404


def test_a_phone_subscribed_again_by_another_installer_changes_hands(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    first, second = city.installer([zone]), city.installer([zone])
    one = client.post(
        "/api/v1/me/push-subscriptions", json=_subscription(), headers=city.as_installer(first)
    ).json()
    client.post(
        "/api/v1/me/push-subscriptions", json=_subscription(), headers=city.as_installer(second)
    )
    stolen = client.delete(
        f"/api/v1/me/push-subscriptions/{one['id']}", headers=city.as_installer(first)
    )
    assert stolen.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "http://push.example.com/x"}, "endpoint"),
        ({"endpoint": "https://localhost/x"}, "endpoint"),
        ({"endpoint": "https://10.0.0.7/x"}, "endpoint"),
        ({"endpoint": "https://user:pw@push.example.com/x"}, "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": AUTH}}, "keys.p256dh"),
        ({"keys": {"p256dh": P256DH, "auth": "short"}}, "keys.auth"),
        ({"keys": {"p256dh": P256DH}}, "keys.auth"),
    ],
)
def test_a_subscription_the_server_could_not_or_should_not_push_to_is_refused(
    city: City, client: TestClient, change: dict[str, object], field: str
) -> None:
    installer = city.installer([city.zone()])
    response = client.post(
        "/api/v1/me/push-subscriptions",
        json={**_subscription(), **change},
        headers=city.as_installer(installer),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_only_installers_subscribe_phones(city: City, client: TestClient) -> None:
    response = client.post(
        "/api/v1/me/push-subscriptions", json=_subscription(), headers=city.admin
    )
    assert response.status_code == 403
