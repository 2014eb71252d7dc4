"""What the customer does through the tracking link: rate the finished job (once, after the
completion), ask to move the visit; what they read there while the installer is on the way;
and how a rating moves the ranking and a low one asks for a manager's call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatchd.service.clock import FakeClock
from tests.helpers import IN_CENTRE, City
from tests.photos import jpeg

NEAR = {"lat": 31.231, "lon": 121.471}
FAR = {"lat": 31.25, "lon": 121.49}


def token_of(order: dict[str, Any]) -> str:
    return str(order["tracking_url"]).rsplit("/", 1)[1]


def accept(city: City, order: dict[str, Any], installer: str) -> None:
    offer = order["current_offer"]
    assert offer["installer_id"] == installer
    accepted = city.client.post(
        f"/api/v1/offers/{offer['id']}/accept", headers=city.as_installer(installer)
    )
    assert accepted.status_code == 200, accepted.text


def finish(city: City, order: dict[str, Any], installer: str) -> None:
    """Accept, start and complete the order as its installer (no code: flagged)."""
    accept(city, order, installer)
    headers = city.as_installer(installer)
    started = city.client.post(f"/api/v1/orders/{order['id']}/start", headers=headers)
    assert started.status_code == 200, started.text
    done = city.client.post(
        f"/api/v1/orders/{order['id']}/complete",
        files={"photo": ("work.jpg", jpeg(), "image/jpeg")},
        headers=headers,
    )
    assert done.status_code == 200, done.text


def rate(client: TestClient, order: dict[str, Any], stars: int, comment: str | None = None) -> Any:
    body: dict[str, Any] = {"stars": stars}
    if comment is not None:
        body["comment"] = comment
    return client.post(f"/api/v1/track/{token_of(order)}/rating", json=body)


def duty(city: City, installer: str, on: bool) -> None:
    changed = city.client.put(
        "/api/v1/me/duty", json={"on_duty": on}, headers=city.as_installer(installer)
    )
    assert changed.status_code == 200, changed.text


def detail(city: City, order: dict[str, Any]) -> dict[str, Any]:
    return dict(city.client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json())


def open_alerts(city: City, order: dict[str, Any]) -> list[tuple[str, str | None]]:
    items = city.client.get("/api/v1/alerts", headers=city.admin).json()["items"]
    return sorted((a["type"], a["detail"]) for a in items if a["order_id"] == order["id"])


# -- rating -----------------------------------------------------------------------------------


def test_a_job_is_rated_once_and_only_after_its_completion(city: City, client: TestClient) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    early = rate(client, order, 5)
    assert early.status_code == 409, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/track/{token_of(order)}").json()["can_rate"] is False
    finish(city, order, installer)
    assert client.get(f"/api/v1/track/{token_of(order)}").json()["can_rate"] is True
    first = rate(client, order, 4, "  tidy work  ")
    assert first.status_code == 201, first.text
    assert first.json()["stars"] == 4
    assert first.json()["comment"] == "tidy work"
    again = rate(client, order, 1, "changed my mind")
    assert again.status_code == 409, again.text
    stored = detail(city, order)
    assert stored["rating"] == first.json()
    rated = [e for e in stored["events"] if e["event"] == "order.rated"]
    assert [e["data"] for e in rated] == [{"stars": 4, "comment": "tidy work"}]
    assert rated[0]["installer_id"] == installer
    tracked = client.get(f"/api/v1/track/{token_of(order)}").json()
    assert tracked["can_rate"] is False
    assert tracked["rating"] == first.json()


def test_an_installers_rating_is_the_average_of_their_jobs_ratings(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    unrated = client.get(f"/api/v1/installers/{installer}", headers=city.admin).json()
    assert unrated["rating"] is None
    for stars in (5, 4, 2):
        order = city.order()
        finish(city, order, installer)
        assert rate(client, order, stars).status_code == 201
    listed = client.get(f"/api/v1/installers/{installer}", headers=city.admin).json()
    assert listed["rating"] == {"average": pytest.approx(3.67, abs=0.01), "count": 3}


def test_one_star_asks_a_manager_to_call_the_customer_with_their_comment(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    finish(city, order, installer)
    assert open_alerts(city, order) == [("follow_up_required", "missing_service_code")]
    assert rate(client, order, 1, "left a mess").status_code == 201
    assert open_alerts(city, order) == [
        ("follow_up_required", "left a mess"),
        ("follow_up_required", "missing_service_code"),
    ]
    alert = next(
        a
        for a in client.get("/api/v1/alerts", headers=city.admin).json()["items"]
        if a["detail"] == "left a mess"
    )
    assert alert["installer_id"] == installer


def test_three_stars_or_more_raise_no_alert_and_two_without_comment_say_rating(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    fine, poor = city.order(), city.order()
    finish(city, fine, installer)
    finish(city, poor, installer)
    assert rate(client, fine, 3).status_code == 201
    assert ("follow_up_required", "rating") not in open_alerts(city, fine)
    assert rate(client, poor, 2).status_code == 201
    assert ("follow_up_required", "rating") in open_alerts(city, poor)


def _ranking(client: TestClient, admin: dict[str, str], rating: float) -> None:
    policy = client.get("/api/v1/policy", headers=admin).json()
    policy["ranking"] = {"distance_km": 1.0, "active_jobs": 0.0, "rating": rating}
    stored = client.put("/api/v1/policy", json=policy, headers=admin)
    assert stored.status_code == 200, stored.text


def test_the_ranking_weighs_the_customers_ratings_in_who_gets_the_offer(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    near = city.installer([zone], at=NEAR)
    first = city.order()
    finish(city, first, near)
    assert rate(client, first, 1).status_code == 201
    duty(city, near, False)
    far = city.installer([zone], at=FAR)
    second = city.order()
    finish(city, second, far)
    assert rate(client, second, 5).status_code == 201
    duty(city, near, True)
    _ranking(client, city.admin, rating=0.0)
    assert city.order()["current_offer"]["installer_id"] == near, "distance alone: the nearer"
    _ranking(client, city.admin, rating=5.0)
    assert city.order()["current_offer"]["installer_id"] == far, "5 stars outweigh 2.6 km"
    candidates = client.get(f"/api/v1/orders/{first['id']}/candidates", headers=city.admin).json()[
        "items"
    ]
    terms = {c["installer_id"]: c["terms"]["rating"] for c in candidates}
    assert terms == {near: 10.0, far: -10.0}


# -- bad input changes nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stars": 0}, "stars"),
        ({"stars": 6}, "stars"),
        ({"stars": 4.5}, "stars"),
        ({"stars": "5"}, "stars"),
        ({"stars": 5, "comment": "x" * 1001}, "comment"),
        ({"stars": 5, "comment": "bad\u0000text"}, "comment"),
        ({"comment": "no stars"}, "stars"),
    ],
)
def test_a_bad_rating_is_refused_naming_the_field_and_changes_nothing(
    city: City, client: TestClient, body: dict[str, Any], field: str
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    finish(city, order, installer)
    before = detail(city, order)
    refused = client.post(f"/api/v1/track/{token_of(order)}/rating", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert detail(city, order) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": "away", "preferred_start": "2026-11-24T10:00:00+08:00"}, "preferred_start"),
        ({"reason": "away", "preferred_start": "2026-11-26T10:00:00"}, "preferred_start"),
        ({"reason": "away", "preferred_start": "2027-11-26T10:00:00+08:00"}, "preferred_start"),
    ],
)
def test_a_bad_reschedule_request_is_refused_naming_the_field_and_changes_nothing(
    city: City, client: TestClient, body: dict[str, Any], field: str
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    accept(city, order, installer)
    before = detail(city, order)
    refused = client.post(f"/api/v1/track/{token_of(order)}/reschedule", json=body)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert detail(city, order) == before
    assert open_alerts(city, order) == []


def test_an_unknown_link_gets_the_same_404_whatever_is_asked(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    city.installer([zone], at=IN_CENTRE)
    order = city.order()
    before = detail(city, order)
    looked_up = client.get("/api/v1/track/never-issued-token")
    rated = client.post("/api/v1/track/never-issued-token/rating", json={"stars": 5})
    moved = client.post("/api/v1/track/never-issued-token/reschedule", json={"reason": "away"})
    long = client.post(f"/api/v1/track/{'x' * 65}/rating", json={"stars": 5})
    answers = [looked_up, rated, moved, long]
    assert [a.status_code for a in answers] == [404] * 4
    assert len({a.json()["detail"] for a in answers}) == 1
    assert "never-issued-token" not in rated.text
    assert detail(city, order) == before


def test_ratings_and_reschedule_requests_are_rate_limited_per_link(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    accept(city, order, installer)
    link = f"/api/v1/track/{token_of(order)}"
    statuses = [client.post(f"{link}/rating", json={"stars": 5}).status_code for _ in range(3)]
    statuses += [
        client.post(f"{link}/reschedule", json={"reason": "away"}).status_code for _ in range(3)
    ]
    assert statuses == [409, 409, 409, 202, 202, 429]
    assert client.get(link).status_code == 200, "looking does not count against writing"


def test_requests_from_one_address_are_rate_limited_across_links(
    city: City, client: TestClient
) -> None:
    statuses = [
        client.post(f"/api/v1/track/guess-{n}/rating", json={"stars": 5}).status_code
        for n in range(11)
    ]
    assert statuses == [404] * 10 + [429]
    assert client.post("/api/v1/track/guess-0/rating", json={"stars": 5}).headers["Retry-After"]


# -- reschedule -------------------------------------------------------------------------------


def test_a_reschedule_request_reaches_the_installer_and_managers_until_the_window_moves(
    city: City, client: TestClient, clock: FakeClock
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    accept(city, order, installer)
    headers = city.as_installer(installer)
    start = clock.now() + timedelta(days=1)
    window = {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=2)).isoformat(),
    }
    agreed = client.put(f"/api/v1/orders/{order['id']}/appointment", json=window, headers=headers)
    assert agreed.status_code == 200, agreed.text
    wish = (start + timedelta(days=1)).isoformat()
    asked = client.post(
        f"/api/v1/track/{token_of(order)}/reschedule",
        json={"reason": "I will be away", "preferred_start": wish},
    )
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "requested"
    [(kind, text)] = open_alerts(city, order)
    assert kind == "reschedule_requested"
    assert text is not None
    assert text.startswith("I will be away (prefers ")
    events = [
        e for e in detail(city, order)["events"] if e["event"] == "order.reschedule_requested"
    ]
    assert [e["installer_id"] for e in events] == [installer]
    assert events[0]["data"]["reason"] == "I will be away"
    later = start + timedelta(days=1)
    moved = client.put(
        f"/api/v1/orders/{order['id']}/appointment",
        json={
            "window_start": later.isoformat(),
            "window_end": (later + timedelta(hours=2)).isoformat(),
            "reason": "customer asked",
        },
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert open_alerts(city, order) == []


def test_a_visit_cannot_be_moved_once_the_installation_started(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    accept(city, order, installer)
    started = client.post(
        f"/api/v1/orders/{order['id']}/start", headers=city.as_installer(installer)
    )
    assert started.status_code == 200
    refused = client.post(f"/api/v1/track/{token_of(order)}/reschedule", json={"reason": "x"})
    assert refused.status_code == 409, refused.text
    assert open_alerts(city, order) == []


# -- what the tracking link shows -------------------------------------------------------------


def test_the_link_shows_distance_and_an_estimate_only_while_the_installer_is_on_the_way(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=FAR)
    order = city.order()
    link = f"/api/v1/track/{token_of(order)}"
    accept(city, order, installer)
    assert client.get(link).json()["distance_km"] is None
    headers = city.as_installer(installer)
    assert (
        client.post(f"/api/v1/orders/{order['id']}/on-the-way", headers=headers).status_code == 200
    )
    on_the_way = client.get(link).json()
    assert on_the_way["distance_km"] == pytest.approx(2.9, abs=0.1)
    assert on_the_way["eta_min"] == 10, "2.9 km x 1.3 at 25 km/h, rounded up"
    assert on_the_way["on_the_way_at"] is not None
    assert client.post(f"/api/v1/orders/{order['id']}/start", headers=headers).status_code == 200
    started = client.get(link).json()
    assert started["distance_km"] is None
    assert started["eta_min"] is None
    assert not {"flags", "notes", "zone_id", "address", "customer", "service_code"} & set(started)
