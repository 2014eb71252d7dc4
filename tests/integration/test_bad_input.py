"""Every bad input gets a problem document naming the field and the fix, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatchd.store import tables as t
from tests.helpers import CENTRE, IN_CENTRE, City


def _counts(client: TestClient) -> dict[str, int]:
    dispatcher = client.app.state.dispatcher  # type: ignore[attr-defined]
    with dispatcher.reading() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.orders, t.offers, t.zones, t.installers, t.users, t.events, t.policies)
        }


def _order(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"name": "Li Lei", "phone": "+8613912345678"},
        "address": "1 Nanjing Road",
        "location": dict(IN_CENTRE),
        "product": "Air conditioner",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_order(location={"lat": 91, "lon": 121.4}), "location.lat"),
        (_order(location={"lat": 31.2, "lon": -181}), "location.lon"),
        (_order(location={"lat": "north", "lon": 121.4}), "location.lat"),
        (_order(customer={"name": "  ", "phone": "+8613912345678"}), "customer.name"),
        (_order(customer={"name": "Li", "phone": "12"}), "customer.phone"),
        (_order(customer={"name": "Li", "phone": "not a phone"}), "customer.phone"),
        (_order(product=""), "product"),
        (_order(colour="blue"), "colour"),
        ({"address": "x"}, "customer"),
    ],
)
def test_a_bad_order_is_refused_naming_the_field_and_nothing_is_written(
    city: City, client: TestClient, body: dict[str, Any], field: str
) -> None:
    city.zone("Centre", CENTRE)
    before = _counts(client)
    response = client.post("/api/v1/orders", json=body, headers=city.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert field in [error["field"] for error in problem["errors"]]
    assert problem["detail"]
    assert _counts(client) == before


def test_malformed_json_is_a_400_problem(city: City, client: TestClient) -> None:
    before = _counts(client)
    response = client.post(
        "/api/v1/orders",
        content=b'{"customer": ',
        headers={**city.admin, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    assert _counts(client) == before


def test_an_oversized_body_is_a_413_problem(city: City, client: TestClient) -> None:
    response = client.post(
        "/api/v1/orders",
        content=b'{"notes": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={**city.admin, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("too-large")


@pytest.mark.parametrize(
    ("ladder", "field"),
    [
        (
            [{"after_s": -5, "action": "remind"}, {"after_s": 60, "action": "revoke"}],
            "escalation[0].after_s",
        ),
        ([{"after_s": 60, "action": "remind"}], "escalation"),
        ([{"after_s": 60, "action": "revoke"}, {"after_s": 60, "action": "remind"}], "escalation"),
        (
            [{"after_s": 60, "action": "penalize"}, {"after_s": 60, "action": "revoke"}],
            "escalation[0].amount",
        ),
        (
            [
                {"after_s": 60, "action": "penalize", "amount": 0},
                {"after_s": 60, "action": "revoke"},
            ],
            "escalation[0].amount",
        ),
        (
            [{"after_s": 60, "action": "explode"}, {"after_s": 60, "action": "revoke"}],
            "escalation[0].action",
        ),
        ([], "escalation"),
    ],
)
def test_a_bad_ladder_is_refused_and_the_old_policy_stays(
    city: City, client: TestClient, ladder: list[dict[str, Any]], field: str
) -> None:
    before = client.get("/api/v1/policy", headers=city.admin).json()
    response = client.put(
        "/api/v1/policy", json={"escalation": ladder, "max_auto_attempts": 3}, headers=city.admin
    )
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert client.get("/api/v1/policy", headers=city.admin).json() == before


def test_an_empty_zone_name_is_refused(city: City, client: TestClient) -> None:
    response = client.post(
        "/api/v1/zones", json={"name": "   ", "boundary": CENTRE}, headers=city.admin
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


def test_unknown_ids_are_404_problems(city: City, client: TestClient) -> None:
    for method, path, body in [
        ("GET", "/api/v1/orders/ord_missing", None),
        ("POST", "/api/v1/orders/ord_missing/cancel", {"reason": "x"}),
        ("POST", "/api/v1/orders/ord_missing/assign", {"installer_id": "ins_x"}),
        ("GET", "/api/v1/zones/zon_missing", None),
        ("DELETE", "/api/v1/zones/zon_missing", None),
        ("GET", "/api/v1/installers/ins_missing", None),
        ("POST", "/api/v1/alerts/alr_missing/ack", None),
    ]:
        response = client.request(method, path, json=body, headers=city.admin)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_an_installer_in_an_unknown_zone_is_refused(city: City, client: TestClient) -> None:
    response = client.post(
        "/api/v1/installers",
        json={
            "name": "A",
            "phone": "+8613800138000",
            "zone_ids": ["zon_nope"],
            "username": "a-user",
            "password": "installer-password",
        },
        headers=city.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "zone_ids"
    assert _counts(client)["installers"] == 0
    assert _counts(client)["users"] == 1


def test_a_failed_installer_registration_leaves_no_half_made_installer(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    body = {
        "name": "A",
        "phone": "+8613800138000",
        "zone_ids": [zone],
        "username": "admin",
        "password": "installer-password",
    }
    response = client.post("/api/v1/installers", json=body, headers=city.admin)
    assert response.status_code == 409
    assert _counts(client)["installers"] == 0


def test_a_location_report_from_the_future_is_refused(city: City, client: TestClient) -> None:
    zone = city.zone()
    me = city.installer([zone])
    response = client.post(
        "/api/v1/me/location",
        json={"lat": 31.2, "lon": 121.4, "at": "2030-01-01T00:00:00Z"},
        headers=city.as_installer(me),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "at"


def test_a_paging_cursor_that_was_not_issued_is_refused(city: City, client: TestClient) -> None:
    response = client.get("/api/v1/orders?cursor=%%%garbage", headers=city.admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"
    too_many = client.get("/api/v1/orders?limit=501", headers=city.admin)
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize(
    ("path", "misspelt"),
    [
        ("/api/v1/orders?stauts=pending", "stauts"),
        ("/api/v1/users?role=manager&p%F0%94%AE%A6=", "p\U00014ba6"),
        ("/api/v1/alerts?open=true&tpye=needs_dispatcher", "tpye"),
    ],
)
def test_a_query_parameter_the_operation_does_not_take_is_refused_by_name(
    city: City, client: TestClient, path: str, misspelt: str
) -> None:
    response = client.get(path, headers=city.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == misspelt
    assert error["type"] == "extra_forbidden"


def test_the_query_parameters_an_operation_takes_are_still_welcome(
    city: City, client: TestClient
) -> None:
    for path in [
        "/api/v1/orders?status=pending&limit=5",
        "/api/v1/users?role=manager",
        "/api/v1/alerts?open=true&limit=200",
        "/api/v1/stats?days=7&utc_offset_min=480",
    ]:
        assert client.get(path, headers=city.admin).status_code == 200, path
