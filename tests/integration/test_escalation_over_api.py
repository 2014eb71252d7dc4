"""The escalation ladder over the HTTP API, with time moved by hand (S201–S205, S301)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.helpers import IN_CENTRE, City


def test_an_unanswered_offer_is_reminded_penalized_revoked_and_redispatched(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone()
    near = city.installer([zone], at={"lat": 31.231, "lon": 121.471})
    far = city.installer([zone], at={"lat": 31.20, "lon": 121.45})
    order = city.order(IN_CENTRE)
    assert order["status"] == "offered"
    assert order["current_offer"]["installer_id"] == near
    offer_id = order["current_offer"]["id"]

    clock.advance(299)
    assert engine.run_due() == 0
    clock.advance(1)
    assert engine.run_due() == 1
    offers = client.get("/api/v1/me/offers", headers=city.as_installer(near)).json()["items"]
    assert offers[0]["status"] == "reminded"
    assert offers[0]["next_action"] == "penalize"

    clock.advance(300)
    assert engine.run_due() == 1
    ledger = client.get(f"/api/v1/installers/{near}/ledger", headers=city.as_installer(near)).json()
    assert ledger["balance"] == -2000
    assert ledger["items"][0]["reason"] == "late_acceptance_penalty"

    clock.advance(600)
    assert engine.run_due() == 1
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert [o["status"] for o in detail["offers"]] == ["revoked", "sent"]
    assert detail["current_offer"]["installer_id"] == far
    assert client.get("/api/v1/alerts", headers=city.admin).json()["items"] == []
    alerts = client.get("/api/v1/alerts?open=false", headers=city.admin).json()["items"]
    assert [a["type"] for a in alerts] == ["offer_revoked"]
    assert alerts[0]["offer_id"] == offer_id
    assert alerts[0]["acknowledged_at"] is not None, "the re-offer settled the revoke alert"
    names = [e["event"] for e in detail["events"]]
    assert names == [
        "order.created",
        "offer.sent",
        "offer.reminded",
        "offer.penalized",
        "offer.revoked",
        "alert.raised",
        "offer.sent",
        "alert.closed",
    ]
    accepted = client.post(f"/api/v1/offers/{offer_id}/accept", headers=city.as_installer(near))
    assert accepted.status_code == 409


def test_after_downtime_the_ladder_resumes_one_step_at_a_time(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone()
    late = city.installer([zone], at=IN_CENTRE)
    order = city.order(IN_CENTRE)
    clock.advance(6 * 3600)
    assert engine.run_due() == 1
    offer = client.get("/api/v1/me/offers", headers=city.as_installer(late)).json()["items"][0]
    assert offer["status"] == "reminded"
    assert offer["next_action"] == "penalize"
    ledger = client.get(f"/api/v1/installers/{late}/ledger", headers=city.as_installer(late))
    assert ledger.json()["balance"] == 0
    assert engine.run_due() == 0
    clock.advance(299)
    assert engine.run_due() == 0
    clock.advance(1)
    assert engine.run_due() == 1
    detail = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert detail["current_offer"]["status"] == "penalized"
