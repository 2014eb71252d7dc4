"""Accounts an admin keeps: the list without secrets and the zones a manager is limited to."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import CENTRE, EAST, IN_CENTRE, IN_EAST, City, login


def _manager(city: City, client: TestClient, zone_ids: list[str]) -> str:
    body = {"username": "mia", "password": "manager-pass", "role": "manager", "zone_ids": zone_ids}
    response = client.post("/api/v1/users", json=body, headers=city.admin)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_the_user_list_shows_roles_and_zone_limits_but_never_a_secret(
    city: City, client: TestClient
) -> None:
    centre = city.zone("Centre", CENTRE)
    installer = city.installer([centre], at=IN_CENTRE)
    manager = _manager(city, client, [centre])
    response = client.get("/api/v1/users", headers=city.admin)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    by_name = {item["username"]: item for item in items}
    assert by_name["mia"] == {
        "id": manager,
        "username": "mia",
        "role": "manager",
        "installer_id": None,
        "zone_ids": [centre],
    }
    assert by_name["admin"]["role"] == "admin"
    assert any(item["installer_id"] == installer for item in items)
    assert [item["username"] for item in items] == sorted(by_name)
    assert "password" not in response.text
    assert "argon2" not in response.text
    managers = client.get("/api/v1/users?role=manager", headers=city.admin).json()["items"]
    assert [item["username"] for item in managers] == ["mia"]


def test_only_an_admin_lists_or_changes_accounts(city: City, client: TestClient) -> None:
    centre = city.zone("Centre", CENTRE)
    manager = _manager(city, client, [])
    as_manager = login(client, "mia", "manager-pass")
    assert client.get("/api/v1/users", headers=as_manager).status_code == 403
    response = client.patch(
        f"/api/v1/users/{manager}", json={"zone_ids": [centre]}, headers=as_manager
    )
    assert response.status_code == 403
    assert client.get("/api/v1/users").status_code == 401


def test_limiting_a_manager_to_a_zone_narrows_what_they_see_from_their_next_request(
    city: City, client: TestClient
) -> None:
    centre, east = city.zone("Centre", CENTRE), city.zone("East", EAST)
    city.installer([centre], at=IN_CENTRE, name="Central")
    city.installer([east], at=IN_EAST, name="Eastern")
    manager = _manager(city, client, [])
    as_manager = login(client, "mia", "manager-pass")
    assert len(client.get("/api/v1/installers", headers=as_manager).json()["items"]) == 2
    response = client.patch(
        f"/api/v1/users/{manager}", json={"zone_ids": [east]}, headers=city.admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["zone_ids"] == [east]
    names = [
        i["name"] for i in client.get("/api/v1/installers", headers=as_manager).json()["items"]
    ]
    assert names == ["Eastern"]
    lifted = client.patch(f"/api/v1/users/{manager}", json={"zone_ids": []}, headers=city.admin)
    assert lifted.json()["zone_ids"] == []
    assert len(client.get("/api/v1/installers", headers=as_manager).json()["items"]) == 2


def test_a_refused_zone_limit_names_the_field_and_its_kind_and_changes_nothing(
    city: City, client: TestClient
) -> None:
    centre = city.zone("Centre", CENTRE)
    manager = _manager(city, client, [centre])
    unknown = client.patch(
        f"/api/v1/users/{manager}", json={"zone_ids": ["zon_nowhere"]}, headers=city.admin
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "zone_ids"
    assert unknown.json()["errors"][0]["type"] == "unknown_zone"
    assert unknown.json()["errors"][0]["ctx"] == {"zones": "zon_nowhere"}
    admin_id = next(
        u["id"]
        for u in client.get("/api/v1/users", headers=city.admin).json()["items"]
        if u["username"] == "admin"
    )
    admin = client.patch(
        f"/api/v1/users/{admin_id}", json={"zone_ids": [centre]}, headers=city.admin
    )
    assert admin.status_code == 422
    assert admin.json()["errors"][0]["type"] == "role_not_limitable"
    missing = client.patch("/api/v1/users/usr_nobody", json={"zone_ids": []}, headers=city.admin)
    assert missing.status_code == 404
    nulled = client.patch(f"/api/v1/users/{manager}", json={"zone_ids": None}, headers=city.admin)
    assert nulled.status_code == 422
    users = client.get("/api/v1/users?role=manager", headers=city.admin).json()["items"]
    assert users[0]["zone_ids"] == [centre]


def test_field_errors_carry_a_kind_and_its_numbers_for_a_translation(
    city: City, client: TestClient
) -> None:
    city.zone("Centre", CENTRE)
    body = {
        "customer": {"name": "", "phone": "12345"},
        "address": "1 Road",
        "location": {"lat": 91, "lon": 121.47},
        "product": "AC",
    }
    response = client.post("/api/v1/orders", json=body, headers=city.admin)
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["customer.name"]["type"] == "string_too_short"
    assert errors["customer.name"]["ctx"] == {"min_length": 1}
    assert errors["location.lat"]["type"] == "less_than_equal"
    assert errors["location.lat"]["ctx"] == {"le": 90}
    body["customer"]["name"], body["location"]["lat"] = "Li", 31.23  # type: ignore[index]
    phone = client.post("/api/v1/orders", json=body, headers=city.admin).json()["errors"][0]
    assert (phone["field"], phone["type"]) == ("customer.phone", "phone_invalid")


def test_a_taken_username_is_a_conflict_naming_the_username(city: City, client: TestClient) -> None:
    _manager(city, client, [])
    body = {"username": "mia", "password": "another-pass", "role": "manager"}
    response = client.post("/api/v1/users", json=body, headers=city.admin)
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "username", "message": "is taken; choose another", "type": "username_taken"}
    ]
