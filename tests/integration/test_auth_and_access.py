"""Who may do what: tokens, roles, zones, and 404 for what a caller may not see."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_PASSWORD
from tests.helpers import CENTRE, EAST, IN_CENTRE, IN_EAST, City, login


def test_a_login_returns_a_bearer_token_with_the_role(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["role"] == "admin"
    assert body["installer_id"] is None
    assert len(body["access_token"]) >= 40


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: TestClient,
) -> None:
    wrong = client.post("/api/v1/auth/token", json={"username": "admin", "password": "nope-nope"})
    unknown = client.post("/api/v1/auth/token", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert wrong.headers["content-type"] == "application/problem+json"


def test_repeated_failed_logins_are_rate_limited_with_retry_after(client: TestClient) -> None:
    statuses = [
        client.post(
            "/api/v1/auth/token", json={"username": "admin", "password": "guess-guess"}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    limited = client.post("/api/v1/auth/token", json={"username": "admin", "password": "x" * 9})
    assert int(limited.headers["retry-after"]) >= 1


def test_requests_without_a_token_get_401_with_a_hint(client: TestClient) -> None:
    response = client.get("/api/v1/orders")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_logged_out_token_stops_working_at_once(client: TestClient) -> None:
    headers = login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/api/v1/zones", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/zones", headers=headers).status_code == 401


def test_an_installer_gets_403_for_manager_functions(city: City, client: TestClient) -> None:
    zone = city.zone()
    me = city.installer([zone])
    headers = city.as_installer(me)
    assert client.get("/api/v1/alerts", headers=headers).status_code == 403
    assert client.get("/api/v1/installers", headers=headers).status_code == 403
    order = {
        "customer": {"name": "A", "phone": "+8613912345678"},
        "address": "x",
        "location": IN_CENTRE,
        "product": "p",
    }
    assert client.post("/api/v1/orders", json=order, headers=headers).status_code == 403


def test_an_installer_gets_404_for_another_installers_offer_job_and_ledger(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    mine = city.installer([zone], at={"lat": 31.2301, "lon": 121.4701})
    other = city.installer([zone], at={"lat": 31.10, "lon": 121.30})
    order = city.order(IN_CENTRE)
    offer_id = order["current_offer"]["id"]
    assert order["current_offer"]["installer_id"] == mine
    intruder = city.as_installer(other)
    assert client.post(f"/api/v1/offers/{offer_id}/accept", headers=intruder).status_code == 404
    assert client.post(f"/api/v1/offers/{offer_id}/decline", headers=intruder).status_code == 404
    assert client.get(f"/api/v1/orders/{order['id']}", headers=intruder).status_code == 404
    assert client.get(f"/api/v1/installers/{mine}/ledger", headers=intruder).status_code == 404
    assert client.get(f"/api/v1/installers/{mine}", headers=intruder).status_code == 404
    assert client.get("/api/v1/me/offers", headers=intruder).json()["items"] == []
    client.post(f"/api/v1/offers/{offer_id}/accept", headers=city.as_installer(mine))
    assert client.post(f"/api/v1/orders/{order['id']}/start", headers=intruder).status_code == 404


def test_a_manager_limited_to_a_zone_sees_only_that_zone(city: City, client: TestClient) -> None:
    centre = city.zone("Centre", CENTRE)
    east = city.zone("East", EAST)
    city.installer([centre], at=IN_CENTRE)
    city.installer([east], at=IN_EAST)
    in_centre = city.order(IN_CENTRE)
    in_east = city.order(IN_EAST)
    created = client.post(
        "/api/v1/users",
        json={
            "username": "east-manager",
            "password": "manager-password",
            "role": "manager",
            "zone_ids": [east],
        },
        headers=city.admin,
    )
    assert created.status_code == 201, created.text
    manager = login(client, "east-manager", "manager-password")
    listed = client.get("/api/v1/orders", headers=manager).json()["items"]
    assert [o["id"] for o in listed] == [in_east["id"]]
    assert client.get(f"/api/v1/orders/{in_centre['id']}", headers=manager).status_code == 404
    assert client.get(f"/api/v1/zones/{centre}", headers=manager).status_code == 404
    assert [z["id"] for z in client.get("/api/v1/zones", headers=manager).json()["items"]] == [east]
    installers = client.get("/api/v1/installers", headers=manager).json()["items"]
    assert len(installers) == 1
    assert all(east in i["zone_ids"] for i in installers)
    alerts_seen = client.get("/api/v1/alerts?open=false", headers=manager).json()["items"]
    assert all(a["zone_id"] == east for a in alerts_seen)
    cancel = client.post(
        f"/api/v1/orders/{in_centre['id']}/cancel", json={"reason": "x"}, headers=manager
    )
    assert cancel.status_code == 404


def test_only_an_admin_can_open_accounts(city: City, client: TestClient) -> None:
    client.post(
        "/api/v1/users",
        json={"username": "boss", "password": "manager-password", "role": "manager"},
        headers=city.admin,
    )
    manager = login(client, "boss", "manager-password")
    response = client.post(
        "/api/v1/users",
        json={"username": "another", "password": "manager-password", "role": "admin"},
        headers=manager,
    )
    assert response.status_code == 403


def test_a_taken_username_is_a_conflict(city: City, client: TestClient) -> None:
    body = {"username": "twice", "password": "manager-password", "role": "manager"}
    assert client.post("/api/v1/users", json=body, headers=city.admin).status_code == 201
    again = client.post("/api/v1/users", json=body, headers=city.admin)
    assert again.status_code == 409
    assert "taken" in again.json()["detail"]


def test_passwords_are_stored_as_argon2id_hashes_at_owasps_cost(
    real_password_cost: None, city: City, client: TestClient
) -> None:
    from sqlalchemy import select

    from dispatchd.store import tables as t

    installer = city.installer([city.zone()])
    dispatcher = client.app.state.dispatcher  # type: ignore[attr-defined]
    with dispatcher.reading() as conn:
        stored = conn.execute(select(t.users.c.password_hash)).scalars().all()
        made_here = conn.execute(
            select(t.users.c.password_hash).where(t.users.c.installer_id == installer)
        ).scalar_one()
    assert all(h.startswith("$argon2id$v=19$") for h in stored)
    assert made_here.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert ADMIN_PASSWORD not in " ".join(stored)
