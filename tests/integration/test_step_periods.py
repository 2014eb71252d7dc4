"""When the period before a ladder's next step began, so a client can show the share left.

An offer's and a promise's ``step_started_at`` is the start of the period that ends at
``next_step_at``: the sending or the promise's moment first, then each step as it happened.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.helpers import City
from tests.integration.test_promises_over_api import Job, datetime_of

pytestmark = pytest.mark.usefixtures("client")


def _seconds(start: str, end: str) -> float:
    return (datetime_of(end) - datetime_of(start)).total_seconds()


def test_an_offers_period_starts_when_it_was_sent_and_again_at_each_rung(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    city.installer([city.zone()], name="Wang Wei")
    order = city.order()
    offer = order["current_offer"]
    assert offer["step_started_at"] == offer["sent_at"]
    assert _seconds(offer["step_started_at"], offer["next_step_at"]) == 300
    clock.advance(310)
    engine.run_due()
    reminded = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    offer = reminded["current_offer"]
    assert offer["status"] == "reminded"
    assert _seconds(offer["sent_at"], offer["step_started_at"]) == 310
    assert _seconds(offer["step_started_at"], offer["next_step_at"]) == 300


def test_a_promises_period_starts_at_its_moment_and_is_gone_once_kept(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    job = Job(city, client, clock)
    promise = job.promise("appointment")
    assert promise["step_started_at"] == promise["since"]
    assert _seconds(promise["step_started_at"], promise["next_step_at"]) == 1800
    clock.advance(1800)
    engine.run_due()
    promise = job.promise("appointment")
    assert _seconds(promise["since"], promise["step_started_at"]) == 1800
    assert _seconds(promise["step_started_at"], promise["next_step_at"]) == 3600
    assert job.window(3600, 3600).status_code == 200
    kept = job.promise("appointment")
    assert kept["kept_at"] is not None
    assert (kept["step_started_at"], kept["next_step_at"]) == (None, None)
