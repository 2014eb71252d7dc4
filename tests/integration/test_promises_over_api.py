"""Promises after acceptance over the HTTP API, on both stores, with time moved by hand.

The default policy's ladders: the appointment is reminded after 30 min, breached after another
hour and penalized (10.00) an hour later; the arrival is breached at the window's end and
penalized (20.00) half an hour later; the completion is breached four hours after the start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dispatchd.config import Settings
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.helpers import IN_CENTRE, City
from tests.integration.test_proof_of_work import code_in, sms_lines
from tests.photos import jpeg

HOUR = 3600


def datetime_of(text: str) -> datetime:
    """A time as the API writes it."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Job:
    """An order accepted by its installer, with a second installer on duty nearby."""

    def __init__(self, city: City, client: TestClient, clock: FakeClock, fee: int = 0) -> None:
        self.city = city
        self.client = client
        self.clock = clock
        zone = city.zone()
        self.installer = city.installer([zone], at=IN_CENTRE, name="Wang Wei")
        self.other = city.installer([zone], at={"lat": 31.20, "lon": 121.45}, name="Zhao Lei")
        self.order = city.order(fee=fee)
        assert self.order["current_offer"]["installer_id"] == self.installer
        self.id = self.order["id"]
        accepted = client.post(
            f"/api/v1/offers/{self.order['current_offer']['id']}/accept", headers=self.headers
        )
        assert accepted.status_code == 200, accepted.text

    @property
    def headers(self) -> dict[str, str]:
        return self.city.as_installer(self.installer)

    def post(self, action: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"/api/v1/orders/{self.id}/{action}", json=body, headers=headers or self.headers
        )

    def window(self, start_in_s: float, length_s: float, reason: str | None = None) -> Any:
        start = self.clock.now() + timedelta(seconds=start_in_s)
        body: dict[str, Any] = {
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(seconds=length_s)).isoformat(),
        }
        if reason is not None:
            body["reason"] = reason
        return self.client.put(
            f"/api/v1/orders/{self.id}/appointment", json=body, headers=self.headers
        )

    def detail(self) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/orders/{self.id}", headers=self.city.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def events(self) -> list[str]:
        return [event["event"] for event in self.detail()["events"]]

    def promise(self, kind: str) -> dict[str, Any]:
        (found,) = [p for p in self.detail()["promises"] if p["kind"] == kind]
        return dict(found)

    def ledger(self, installer_id: str | None = None) -> dict[str, Any]:
        who = installer_id or self.installer
        response = self.client.get(f"/api/v1/installers/{who}/ledger", headers=self.city.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def alerts(self, open_only: bool = True) -> list[dict[str, Any]]:
        query = "" if open_only else "?open=false"
        response = self.client.get(f"/api/v1/alerts{query}", headers=self.city.admin)
        return [a for a in response.json()["items"] if a["order_id"] == self.id]


@pytest.fixture
def job(city: City, client: TestClient, clock: FakeClock) -> Job:
    return Job(city, client, clock)


def _run(clock: FakeClock, engine: DeadlineEngine, seconds: float) -> int:
    clock.advance(seconds)
    return engine.run_due()


# -- the appointment promise ------------------------------------------------------------------


def test_no_appointment_is_reminded_then_breached_then_penalized_once(
    job: Job, clock: FakeClock, engine: DeadlineEngine
) -> None:
    assert job.promise("appointment")["next_step_at"] is not None
    assert _run(clock, engine, 1799) == 0
    assert _run(clock, engine, 1) == 1
    assert job.events()[-1] == "promise.reminded"
    assert _run(clock, engine, HOUR) == 1
    (alert,) = job.alerts()
    assert (alert["type"], alert["detail"]) == ("promise_breached", "appointment")
    assert _run(clock, engine, HOUR) == 1
    ledger = job.ledger()
    assert [(e["amount"], e["reason"]) for e in ledger["items"]] == [
        (-1000, "late_appointment_penalty")
    ]
    assert _run(clock, engine, 10 * HOUR) == 0
    assert job.ledger()["balance"] == -1000
    assert job.events().count("promise.penalized") == 1
    assert job.promise("appointment")["steps_taken"] == 3


def test_agreeing_a_window_keeps_the_appointment_and_settles_its_breach(
    job: Job, clock: FakeClock, engine: DeadlineEngine, settings: Settings, app: FastAPI
) -> None:
    _run(clock, engine, 1800)
    _run(clock, engine, HOUR)
    assert [a["type"] for a in job.alerts()] == ["promise_breached"]
    response = job.window(2 * HOUR, 2 * HOUR)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["appointment"]["moves"] == 0
    kept = next(p for p in body["promises"] if p["kind"] == "appointment")
    assert kept["kept_at"] is not None
    assert kept["next_step_at"] is None
    assert job.alerts() == [], "the kept promise closes its breach alert"
    assert _run(clock, engine, HOUR) == 0, "no appointment penalty once the window is agreed"
    app.state.relay.run_due()
    window_sms = [s for s in sms_lines(settings) if s["order_id"] == job.id][-1]
    local_start = datetime_of(body["appointment"]["window_start"]).astimezone(settings.zone)
    assert f"{local_start:%H:%M}" in window_sms["body"], "the window in the deployment's zone"
    assert window_sms["body"] != sms_lines(settings)[0]["body"]


def test_the_window_end_without_a_start_raises_the_arrival_alert_then_a_penalty(
    job: Job, clock: FakeClock, engine: DeadlineEngine
) -> None:
    assert job.window(HOUR, 2 * HOUR).status_code == 200
    arrival = job.promise("arrival")
    assert arrival["since"] == job.detail()["appointment"]["window_end"]
    assert _run(clock, engine, 3 * HOUR - 1) == 0
    assert _run(clock, engine, 1) == 1
    (alert,) = job.alerts()
    assert (alert["type"], alert["detail"]) == ("promise_breached", "arrival")
    assert _run(clock, engine, 1800) == 1
    assert [e["reason"] for e in job.ledger()["items"]] == ["late_arrival_penalty"]
    assert job.post("start").status_code == 200
    assert job.promise("arrival")["kept_at"] is not None
    assert job.alerts() == []


def test_a_window_moved_while_its_step_is_due_starts_the_arrival_afresh(
    job: Job, clock: FakeClock, engine: DeadlineEngine
) -> None:
    assert job.window(HOUR, HOUR).status_code == 200
    clock.advance(2 * HOUR + 5)  # the arrival alert is due, not yet run
    moved = job.window(HOUR, HOUR, reason="customer asked for the afternoon")
    assert moved.status_code == 200, moved.text
    assert moved.json()["appointment"]["moves"] == 1
    assert engine.run_due() == 0, "the due step of the old window is stale"
    assert job.alerts() == []
    assert _run(clock, engine, 2 * HOUR) == 1
    assert [a["detail"] for a in job.alerts()] == ["arrival"]
    assert "order.appointment_moved" in job.events()


def test_moving_a_window_without_a_reason_is_refused_and_changes_nothing(job: Job) -> None:
    assert job.window(HOUR, HOUR).status_code == 200
    before = job.detail()
    refused = job.window(3 * HOUR, HOUR)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    assert job.detail()["appointment"] == before["appointment"]


@pytest.mark.parametrize(
    ("start_in_s", "length_s", "field"),
    [(-60, HOUR, "window_start"), (HOUR, -60, "window_end"), (HOUR, 5 * HOUR, "window_end")],
    ids=["in the past", "ending before it starts", "longer than max_window_s"],
)
def test_a_bad_window_is_refused_naming_the_field(
    job: Job, start_in_s: float, length_s: float, field: str
) -> None:
    refused = job.window(start_in_s, length_s)
    assert refused.status_code == 422
    assert field in [e["field"] for e in refused.json()["errors"]]
    assert job.detail()["appointment"] is None


def test_a_window_without_a_time_zone_is_refused(job: Job, clock: FakeClock) -> None:
    naive = (clock.now() + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    refused = job.client.put(
        f"/api/v1/orders/{job.id}/appointment",
        json={"window_start": naive, "window_end": naive},
        headers=job.headers,
    )
    assert refused.status_code == 422
    assert job.detail()["appointment"] is None


def test_another_installer_cannot_set_the_window(job: Job, city: City, clock: FakeClock) -> None:
    start = clock.now() + timedelta(hours=1)
    response = job.client.put(
        f"/api/v1/orders/{job.id}/appointment",
        json={
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=1)).isoformat(),
        },
        headers=city.as_installer(job.other),
    )
    assert response.status_code == 404
    assert job.detail()["appointment"] is None


# -- suspend and resume -----------------------------------------------------------------------


def test_nothing_fires_while_suspended_and_resume_keeps_the_time_left(
    job: Job, clock: FakeClock, engine: DeadlineEngine
) -> None:
    clock.advance(600)
    suspended = job.post("suspend", {"reason": "customer_absent", "note": "not home"})
    assert suspended.status_code == 200, suspended.text
    body = suspended.json()
    assert body["status"] == "suspended"
    assert body["suspension"]["reason"] == "customer_absent"
    assert body["suspension"]["from_status"] == "accepted"
    assert all(p["paused"] for p in body["promises"] if p["kept_at"] is None)
    assert _run(clock, engine, 48 * HOUR) == 0
    assert job.events()[-1] == "order.suspended"
    resumed = job.post("resume")
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "accepted"
    assert _run(clock, engine, 1199) == 0, "1 200 s were left of the first 1 800 s"
    assert _run(clock, engine, 1) == 1
    assert job.events()[-1] == "promise.reminded"


def test_a_suspension_with_until_resumes_by_itself(
    job: Job, clock: FakeClock, engine: DeadlineEngine
) -> None:
    until = clock.now() + timedelta(hours=2)
    response = job.post("suspend", {"reason": "parts_missing", "until": until.isoformat()})
    assert response.status_code == 200, response.text
    assert _run(clock, engine, 2 * HOUR - 1) == 0
    assert _run(clock, engine, 1) == 1
    detail = job.detail()
    assert detail["status"] == "accepted"
    assert detail["suspension"] is None
    assert "order.resumed" in job.events()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "on_holiday"}, "reason"),
        ({"reason": "other", "until": "2020-01-01T00:00:00+00:00"}, "until"),
        ({"reason": "other", "until": "2099-01-01T00:00:00+00:00"}, "until"),
        ({}, "reason"),
    ],
    ids=["unknown reason", "until in the past", "until too far ahead", "no reason"],
)
def test_a_bad_suspension_is_refused_naming_the_field(
    job: Job, body: dict[str, Any], field: str
) -> None:
    refused = job.post("suspend", body)
    assert refused.status_code == 422, refused.text
    assert field in [e["field"] for e in refused.json()["errors"]]
    assert job.detail()["status"] == "accepted"


def test_resuming_an_order_that_is_not_suspended_is_a_conflict(job: Job) -> None:
    refused = job.post("resume")
    assert refused.status_code == 409
    assert job.detail()["status"] == "accepted"


# -- hand back --------------------------------------------------------------------------------


def test_a_handed_back_job_goes_to_the_next_installer_never_back_to_them(
    job: Job, city: City
) -> None:
    handed = job.post("hand-back", {"reason": "van broke down"})
    assert handed.status_code == 200, handed.text
    assert handed.json()["status"] == "offered"
    assert handed.json()["current_offer"] is None, "who handed it back sees no one else's offer"
    body = job.detail()
    assert body["current_offer"]["installer_id"] == job.other
    (alert,) = job.alerts()
    assert (alert["type"], alert["installer_id"]) == ("job_handed_back", job.installer)
    jobs = job.client.get("/api/v1/me/jobs", headers=job.headers).json()["items"]
    assert jobs == []
    declined = job.client.post(
        f"/api/v1/offers/{body['current_offer']['id']}/decline",
        json={"reason": "too far"},
        headers=city.as_installer(job.other),
    )
    assert declined.status_code == 200
    assert declined.json()["status"] == "pending", "never offered back to who handed it back"


def test_hand_back_after_the_start_is_a_conflict(job: Job) -> None:
    assert job.post("start").status_code == 200
    refused = job.post("hand-back", {"reason": "too hard"})
    assert refused.status_code == 409
    assert job.detail()["status"] == "in_progress"


def test_hand_back_without_a_reason_is_refused(job: Job) -> None:
    refused = job.post("hand-back", {})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    assert job.detail()["installer_id"] == job.installer


# -- reassignment -----------------------------------------------------------------------------


def test_reassigning_a_job_in_progress_moves_it_and_the_code_stays_valid(
    job: Job, client: TestClient, app: FastAPI, settings: Settings
) -> None:
    app.state.relay.run_due()
    code = code_in(next(s for s in sms_lines(settings) if s["order_id"] == job.id))
    assert job.post("start").status_code == 200
    refused = client.post(
        f"/api/v1/orders/{job.id}/assign",
        json={"installer_id": job.other},
        headers=job.city.admin,
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    assert job.detail()["installer_id"] == job.installer

    moved = client.post(
        f"/api/v1/orders/{job.id}/assign",
        json={"installer_id": job.other, "reason": "installer fell ill"},
        headers=job.city.admin,
    )
    assert moved.status_code == 200, moved.text
    assert client.get("/api/v1/me/jobs", headers=job.headers).json()["items"] == []
    other = job.city.as_installer(job.other)
    offer_id = moved.json()["current_offer"]["id"]
    assert client.post(f"/api/v1/offers/{offer_id}/accept", headers=other).status_code == 200
    assert "order.reassigned" in job.events()
    if job.detail()["status"] == "accepted":
        assert job.post("start", headers=other).status_code == 200
    done = client.post(
        f"/api/v1/orders/{job.id}/complete",
        files={"photo": ("work.jpg", jpeg(), "image/jpeg")},
        data={"service_code": code},
        headers=other,
    )
    assert done.status_code == 200, done.text
    assert done.json()["flags"] == []


def test_the_first_installer_cannot_act_on_a_reassigned_job(job: Job, client: TestClient) -> None:
    moved = client.post(
        f"/api/v1/orders/{job.id}/assign",
        json={"installer_id": job.other, "reason": "customer asked for someone else"},
        headers=job.city.admin,
    )
    assert moved.status_code == 200
    assert job.post("start").status_code == 404


# -- fees and the ledger ----------------------------------------------------------------------


def test_the_job_fee_is_credited_once_on_completion(
    city: City, client: TestClient, clock: FakeClock
) -> None:
    paid = Job(city, client, clock, fee=15000)
    assert paid.post("start").status_code == 200
    done = client.post(
        f"/api/v1/orders/{paid.id}/complete",
        files={"photo": ("work.jpg", jpeg(), "image/jpeg")},
        headers=paid.headers,
    )
    assert done.status_code == 200, done.text
    again = client.post(
        f"/api/v1/orders/{paid.id}/complete",
        files={"photo": ("work.jpg", jpeg(), "image/jpeg")},
        headers=paid.headers,
    )
    assert again.status_code == 409
    ledger = paid.ledger()
    assert [(e["amount"], e["reason"]) for e in ledger["items"]] == [(15000, "job_fee")]
    assert ledger["balance"] == 15000


def _penalized(job: Job, clock: FakeClock, engine: DeadlineEngine) -> dict[str, Any]:
    _run(clock, engine, 1800)
    _run(clock, engine, HOUR)
    _run(clock, engine, HOUR)
    (penalty,) = job.ledger()["items"]
    return dict(penalty)


def test_a_penalty_can_be_waived_once_and_the_second_waiver_is_a_conflict(
    job: Job, clock: FakeClock, engine: DeadlineEngine, client: TestClient
) -> None:
    penalty = _penalized(job, clock, engine)
    body = {
        "amount": 1000,
        "reason": "penalty_waived",
        "note": "customer was unreachable",
        "entry_id": penalty["id"],
    }
    url = f"/api/v1/installers/{job.installer}/ledger"
    waived = client.post(url, json=body, headers=job.city.admin)
    assert waived.status_code == 201, waived.text
    assert waived.json()["entry_id"] == penalty["id"]
    again = client.post(url, json=body, headers=job.city.admin)
    assert again.status_code == 409
    assert [(e["field"], e["type"]) for e in again.json()["errors"]] == [
        ("entry_id", "already_waived")
    ]
    assert job.ledger()["balance"] == 0


def test_a_waiver_of_another_amount_or_of_no_penalty_is_refused(
    job: Job, clock: FakeClock, engine: DeadlineEngine, client: TestClient
) -> None:
    penalty = _penalized(job, clock, engine)
    url = f"/api/v1/installers/{job.installer}/ledger"
    wrong = client.post(
        url,
        json={"amount": 500, "reason": "penalty_waived", "note": "x", "entry_id": penalty["id"]},
        headers=job.city.admin,
    )
    assert wrong.status_code == 422
    assert [(e["field"], e["type"], e["ctx"]) for e in wrong.json()["errors"]] == [
        ("amount", "waiver_amount", {"expected": 1000})
    ]
    missing = client.post(
        url, json={"amount": 1000, "reason": "penalty_waived", "note": "x"}, headers=job.city.admin
    )
    assert missing.status_code == 422
    assert job.ledger()["balance"] == -1000


def test_two_adjustments_by_a_manager_are_both_booked(job: Job, client: TestClient) -> None:
    url = f"/api/v1/installers/{job.installer}/ledger"
    for amount in (500, -200):
        booked = client.post(
            url,
            json={"amount": amount, "reason": "adjustment", "note": "fuel"},
            headers=job.city.admin,
        )
        assert booked.status_code == 201, booked.text
    assert sorted(e["amount"] for e in job.ledger()["items"]) == [-200, 500]
    assert job.ledger()["balance"] == 300


def test_an_installer_cannot_book_in_their_own_ledger(job: Job, client: TestClient) -> None:
    response = client.post(
        f"/api/v1/installers/{job.installer}/ledger",
        json={"amount": 100000, "reason": "adjustment", "note": "bonus"},
        headers=job.headers,
    )
    assert response.status_code in (403, 404)
    assert job.ledger()["items"] == []


# -- ranking ----------------------------------------------------------------------------------


def _policy_with_ranking(client: TestClient, admin: dict[str, str], **weights: float) -> None:
    policy = client.get("/api/v1/policy", headers=admin).json()
    policy["ranking"] = weights
    stored = client.put("/api/v1/policy", json=policy, headers=admin)
    assert stored.status_code == 200, stored.text


def test_the_ranking_weights_decide_who_gets_the_offer(city: City, client: TestClient) -> None:
    zone = city.zone()
    near_busy = city.installer([zone], at={"lat": 31.231, "lon": 121.471})
    far_idle = city.installer([zone], at={"lat": 31.25, "lon": 121.49})
    first = city.order()
    assert first["current_offer"]["installer_id"] == near_busy
    _policy_with_ranking(client, city.admin, distance_km=0.1, active_jobs=10.0, rating=0.0)
    second = city.order()
    assert second["current_offer"]["installer_id"] == far_idle, "one job outweighs the distance"
    _policy_with_ranking(client, city.admin, distance_km=10.0, active_jobs=0.0, rating=0.0)
    third = city.order()
    assert third["current_offer"]["installer_id"] == near_busy


def test_the_candidate_list_shows_each_term_of_the_score(city: City, client: TestClient) -> None:
    zone = city.zone()
    busy = city.installer([zone], at=IN_CENTRE)
    idle = city.installer([zone], at={"lat": 31.24, "lon": 121.48})
    order = city.order()
    assert order["current_offer"]["installer_id"] == busy
    listed = client.get(f"/api/v1/orders/{order['id']}/candidates", headers=city.admin).json()
    terms = {c["installer_id"]: c for c in listed["items"]}
    assert terms[busy]["terms"]["workload"] == 2.0
    assert terms[idle]["terms"]["workload"] == 0.0
    assert terms[idle]["terms"]["rating"] == 0.0
    for candidate in listed["items"]:
        parts = candidate["terms"]
        assert candidate["score"] == pytest.approx(
            parts["distance"] + parts["workload"] + parts["rating"], abs=0.01
        )


def test_a_bad_ranking_weight_is_refused_naming_it(city: City, client: TestClient) -> None:
    policy = client.get("/api/v1/policy", headers=city.admin).json()
    policy["ranking"] = {"distance_km": -1, "active_jobs": 2, "rating": 1}
    refused = client.put("/api/v1/policy", json=policy, headers=city.admin)
    assert refused.status_code == 422
    assert any("distance_km" in e["field"] for e in refused.json()["errors"])
    assert client.get("/api/v1/policy", headers=city.admin).json()["ranking"]["distance_km"] == 1
