"""Orders from creation to a held job: decline, manual assignment, cancellation, waiting."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.helpers import IN_CENTRE, City


def _alerts(client: TestClient, city: City) -> list[str]:
    return [a["type"] for a in client.get("/api/v1/alerts", headers=city.admin).json()["items"]]


def test_an_order_is_offered_to_the_nearest_installer_at_once(city: City) -> None:
    zone = city.zone()
    city.installer([zone], at={"lat": 31.25, "lon": 121.50})
    nearest = city.installer([zone], at={"lat": 31.231, "lon": 121.471})
    order = city.order(IN_CENTRE)
    assert order["status"] == "offered"
    assert order["zone_id"] == zone
    assert order["attempts"] == 1
    assert order["current_offer"]["installer_id"] == nearest
    assert order["tracking_url"].startswith("http://dispatchd.test/t/")


def test_accepting_makes_the_job_the_installers_and_stops_the_ladder(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone()
    me = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    offer_id = order["current_offer"]["id"]
    accepted = client.post(f"/api/v1/offers/{offer_id}/accept", headers=city.as_installer(me))
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["status"] == "accepted"
    assert body["installer_id"] == me
    assert body["accepted_at"] is not None
    assert body["customer"]["phone"] == "+8613912345678"
    clock.advance(10_000)
    engine.run_due()
    offers = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()["offers"]
    assert [offer["status"] for offer in offers] == ["accepted"], "no rung ran after accepting"
    jobs = client.get("/api/v1/me/jobs", headers=city.as_installer(me)).json()["items"]
    assert [j["id"] for j in jobs] == [order["id"]]
    assert client.get("/api/v1/me", headers=city.as_installer(me)).json()["active_jobs"] == 1
    started = client.post(f"/api/v1/orders/{order['id']}/start", headers=city.as_installer(me))
    assert started.status_code == 200
    assert started.json()["status"] == "in_progress"
    assert started.json()["started_at"] is not None


def test_a_job_on_hold_stays_in_the_installers_jobs_and_the_on_hold_list_until_it_ends(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    me = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    offer_id = order["current_offer"]["id"]
    headers = city.as_installer(me)
    assert client.post(f"/api/v1/offers/{offer_id}/accept", headers=headers).status_code == 200
    held = client.post(
        f"/api/v1/orders/{order['id']}/suspend", json={"reason": "parts_missing"}, headers=headers
    )
    assert held.status_code == 200, held.text
    jobs = client.get("/api/v1/me/jobs", headers=headers).json()["items"]
    assert [(job["id"], job["status"]) for job in jobs] == [(order["id"], "suspended")]
    assert jobs[0]["suspension"]["reason"] == "parts_missing"
    listed = client.get("/api/v1/orders?status=suspended", headers=city.admin)
    assert [item["id"] for item in listed.json()["items"]] == [order["id"]], listed.text
    client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "no"}, headers=city.admin)
    assert client.get("/api/v1/me/jobs", headers=headers).json()["items"] == []


def test_an_installer_offered_but_not_holding_the_job_sees_the_customer_masked(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    me = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    seen = client.get(f"/api/v1/orders/{order['id']}", headers=city.as_installer(me)).json()
    assert seen["customer"]["phone"] != "+8613912345678"
    assert seen["customer"]["phone"].endswith("5678")
    assert seen["tracking_url"] is None


def test_a_declined_offer_goes_to_the_next_installer_at_once(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    first = city.installer([zone], at={"lat": 31.2301, "lon": 121.4701})
    second = city.installer([zone], at={"lat": 31.24, "lon": 121.48})
    order = city.order()
    offer_id = order["current_offer"]["id"]
    declined = client.post(
        f"/api/v1/offers/{offer_id}/decline",
        json={"reason": "too far"},
        headers=city.as_installer(first),
    )
    assert declined.status_code == 200
    assert declined.json()["status"] == "offered"
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert detail["current_offer"]["installer_id"] == second
    assert [o["status"] for o in detail["offers"]] == ["declined", "sent"]


def test_a_decline_without_a_body_is_accepted(city: City, client: TestClient) -> None:
    zone = city.zone()
    me = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    response = client.post(
        f"/api/v1/offers/{order['current_offer']['id']}/decline", headers=city.as_installer(me)
    )
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


def test_after_max_auto_attempts_the_order_waits_for_a_manager(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    installers = [
        city.installer([zone], at={"lat": 31.23 + i * 0.01, "lon": 121.47}) for i in range(4)
    ]
    order = city.order()
    for installer in installers[:3]:
        offer = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
        assert offer["current_offer"]["installer_id"] == installer
        client.post(
            f"/api/v1/offers/{offer['current_offer']['id']}/decline",
            headers=city.as_installer(installer),
        )
    waiting = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert waiting["status"] == "pending"
    assert waiting["awaiting_dispatcher"] is True
    assert waiting["current_offer"] is None
    assert _alerts(client, city) == ["needs_dispatcher"]
    assigned = client.post(
        f"/api/v1/orders/{order['id']}/assign",
        json={"installer_id": installers[0]},
        headers=city.admin,
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["current_offer"]["installer_id"] == installers[0]
    assert assigned.json()["awaiting_dispatcher"] is False
    assert _alerts(client, city) == []


def test_no_eligible_installer_raises_one_alert_and_the_order_is_offered_when_one_comes_on_duty(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    later = city.installer([zone], at=IN_CENTRE, on_duty=False)
    order = city.order()
    assert order["status"] == "pending"
    assert _alerts(client, city) == ["no_eligible_installer"]
    client.put("/api/v1/me/duty", json={"on_duty": True}, headers=city.as_installer(later))
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert detail["status"] == "offered"
    assert detail["current_offer"]["installer_id"] == later


def test_an_installer_at_capacity_gets_no_more_offers(city: City) -> None:
    zone = city.zone()
    busy = city.installer([zone], at=IN_CENTRE, capacity=1)
    spare = city.installer([zone], at={"lat": 31.26, "lon": 121.50})
    first = city.order()
    second = city.order()
    assert first["current_offer"]["installer_id"] == busy
    assert second["current_offer"]["installer_id"] == spare


def test_skills_decide_who_may_take_an_order(city: City) -> None:
    zone = city.zone()
    city.installer([zone], at=IN_CENTRE)
    skilled = city.installer([zone], at={"lat": 31.26, "lon": 121.50}, skills=["gas"])
    order = city.order(skills=["gas"])
    assert order["current_offer"]["installer_id"] == skilled


def test_manual_assignment_withdraws_the_active_offer(city: City, client: TestClient) -> None:
    zone = city.zone()
    first = city.installer([zone], at=IN_CENTRE)
    chosen = city.installer([zone], at={"lat": 31.26, "lon": 121.50})
    order = city.order()
    old_offer = order["current_offer"]["id"]
    response = client.post(
        f"/api/v1/orders/{order['id']}/assign", json={"installer_id": chosen}, headers=city.admin
    )
    assert response.status_code == 200
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert [(o["installer_id"], o["status"]) for o in detail["offers"]] == [
        (first, "withdrawn"),
        (chosen, "sent"),
    ]
    late = client.post(f"/api/v1/offers/{old_offer}/accept", headers=city.as_installer(first))
    assert late.status_code == 409
    assert "withdrawn" in late.json()["detail"]


def test_taking_an_accepted_job_away_needs_a_reason_and_changes_nothing_without_one(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    me = city.installer([zone], at=IN_CENTRE)
    other = city.installer([zone], at={"lat": 31.26, "lon": 121.50})
    order = city.order()
    client.post(
        f"/api/v1/offers/{order['current_offer']['id']}/accept", headers=city.as_installer(me)
    )
    response = client.post(
        f"/api/v1/orders/{order['id']}/assign", json={"installer_id": other}, headers=city.admin
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert (detail["status"], detail["installer_id"]) == ("accepted", me)


def test_cancelling_withdraws_the_offer_and_frees_the_installer(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone()
    me = city.installer([zone], at=IN_CENTRE, capacity=1)
    first = city.order()
    waiting = city.order()
    assert waiting["status"] == "pending"
    cancelled = client.post(
        f"/api/v1/orders/{first['id']}/cancel",
        json={"reason": "customer moved"},
        headers=city.admin,
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"] is not None
    now_offered = client.get(f"/api/v1/orders/{waiting['id']}", headers=city.admin).json()
    assert now_offered["current_offer"]["installer_id"] == me
    clock.advance(300)
    assert engine.run_due() == 1
    again = client.post(
        f"/api/v1/orders/{first['id']}/cancel", json={"reason": "again"}, headers=city.admin
    )
    assert again.status_code == 409


def test_a_zone_with_open_orders_cannot_be_deleted(city: City, client: TestClient) -> None:
    zone = city.zone()
    order = city.order()
    assert client.delete(f"/api/v1/zones/{zone}", headers=city.admin).status_code == 409
    client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=city.admin)
    assert client.delete(f"/api/v1/zones/{zone}", headers=city.admin).status_code == 204
    assert client.get(f"/api/v1/zones/{zone}", headers=city.admin).status_code == 404


def test_a_policy_change_applies_to_offers_sent_after_it(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone()
    city.installer([zone], at=IN_CENTRE)
    city.installer([zone], at={"lat": 31.26, "lon": 121.50})
    before = city.order()
    short = {
        "escalation": [{"after_s": 30, "action": "remind"}, {"after_s": 30, "action": "revoke"}],
        "max_auto_attempts": 2,
        "customer_notice": "on_accept",
    }
    stored = client.put("/api/v1/policy", json=short, headers=city.admin).json()
    assert {key: stored[key] for key in short} == short
    assert stored["promises"]["arrival"], "what the body left out is kept"
    after = city.order()
    clock.advance(30)
    engine.run_due()
    old = client.get(f"/api/v1/orders/{before['id']}", headers=city.admin).json()
    new = client.get(f"/api/v1/orders/{after['id']}", headers=city.admin).json()
    assert old["current_offer"]["status"] == "sent"
    assert new["current_offer"]["status"] == "reminded"


def test_orders_are_listed_newest_first_with_filters_and_cursor_paging(
    city: City, client: TestClient, clock: FakeClock
) -> None:
    zone = city.zone()
    city.installer([zone], at=IN_CENTRE, capacity=100)
    ids = []
    for n in range(7):
        ids.append(city.order(product=f"Heater {n}")["id"])
        clock.advance(1)
    seen: list[str] = []
    cursor = None
    while True:
        query = "/api/v1/orders?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query, headers=city.admin).json()
        seen.extend(o["id"] for o in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    found = client.get("/api/v1/orders?q=Heater 3", headers=city.admin).json()["items"]
    assert [o["id"] for o in found] == [ids[3]]
    offered = client.get("/api/v1/orders?status=offered", headers=city.admin).json()["items"]
    assert len(offered) == 7
    assert client.get("/api/v1/orders?status=completed", headers=city.admin).json()["items"] == []
    assert client.get("/api/v1/orders?flagged=true", headers=city.admin).json()["items"] == []


def test_an_alert_is_acknowledged_once_and_leaves_the_open_inbox(
    city: City, client: TestClient
) -> None:
    city.zone()
    city.order()
    alert = client.get("/api/v1/alerts", headers=city.admin).json()["items"][0]
    acked = client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=city.admin)
    assert acked.status_code == 200
    assert acked.json()["acknowledged_at"] is not None
    assert client.get("/api/v1/alerts", headers=city.admin).json()["items"] == []
    every = client.get("/api/v1/alerts?open=false", headers=city.admin).json()["items"]
    assert [a["id"] for a in every] == [alert["id"]]
