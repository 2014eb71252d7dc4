"""The live event stream: what each caller sees, and replay after a reconnect."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import CENTRE, EAST, IN_CENTRE, IN_EAST
from tests.live import SseReader, serve_in_thread


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url


def _login(base_url: str, username: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=base_url) as http:
        response = http.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class LiveCity:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.base_url = base_url
        self.admin = _login(base_url, "admin", ADMIN_PASSWORD)
        self.count = 0

    def close(self) -> None:
        self.http.close()

    def zone(self, boundary: dict[str, object]) -> str:
        return str(
            self.http.post(
                "/api/v1/zones", json={"name": "Z", "boundary": boundary}, headers=self.admin
            ).json()["id"]
        )

    def installer(self, zone: str, at: dict[str, float]) -> tuple[str, dict[str, str]]:
        self.count += 1
        body = {
            "name": f"I{self.count}",
            "phone": f"+86138001380{self.count:02d}",
            "zone_ids": [zone],
            "username": f"inst{self.count}",
            "password": "installer-password",
        }
        installer_id = self.http.post("/api/v1/installers", json=body, headers=self.admin).json()[
            "id"
        ]
        headers = _login(self.base_url, f"inst{self.count}", "installer-password")
        self.http.post("/api/v1/me/location", json=at, headers=headers)
        self.http.put("/api/v1/me/duty", json={"on_duty": True}, headers=headers)
        return installer_id, headers

    def order(self, at: dict[str, float]) -> dict[str, object]:
        body = {
            "customer": {"name": "Li", "phone": "+8613912345678"},
            "address": "x",
            "location": at,
            "product": "AC",
        }
        return dict(self.http.post("/api/v1/orders", json=body, headers=self.admin).json())


@pytest.fixture
def city(base_url: str) -> Iterator[LiveCity]:
    live = LiveCity(base_url)
    yield live
    live.close()


def test_an_installer_sees_their_offer_and_its_reminder_live_and_nothing_else(
    city: LiveCity, base_url: str, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone(CENTRE)
    mine, my_headers = city.installer(zone, IN_CENTRE)
    _other, other_headers = city.installer(zone, {"lat": 31.16, "lon": 121.41})
    with SseReader(base_url, my_headers) as phone, SseReader(base_url, other_headers) as other:
        order = city.order(IN_CENTRE)
        sent = phone.next()
        assert sent.event == "offer.sent"
        assert sent.data["order_id"] == order["id"]
        assert sent.data["installer_id"] == mine
        assert sent.data["address"] == "x"
        clock.advance(300)
        engine.run_due()
        reminded = phone.next()
        assert reminded.event == "offer.reminded"
        assert reminded.id > sent.id
        with pytest.raises(TimeoutError):
            other.next(timeout=0.5)


def test_a_reconnect_with_last_event_id_replays_every_missed_event_once_in_order(
    city: LiveCity, base_url: str, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone(CENTRE)
    city.installer(zone, IN_CENTRE)
    with SseReader(base_url, city.admin) as console:
        city.order(IN_CENTRE)
        first = console.until("offer.sent")
    last_seen = first[-1].id
    clock.advance(300)
    engine.run_due()
    city.order(IN_CENTRE)
    with SseReader(base_url, {**city.admin, "Last-Event-ID": str(last_seen)}) as console:
        replayed = console.until("offer.sent")
        city.order(IN_CENTRE)
        live = console.until("offer.sent")
    names = [e.event for e in replayed]
    assert names == ["offer.reminded", "order.created", "offer.sent"]
    ids = [e.id for e in replayed + live]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    assert ids[0] > last_seen


def test_a_manager_limited_to_a_zone_streams_only_that_zone(city: LiveCity, base_url: str) -> None:
    centre = city.zone(CENTRE)
    east = city.zone(EAST)
    city.installer(centre, IN_CENTRE)
    city.installer(east, IN_EAST)
    city.http.post(
        "/api/v1/users",
        json={
            "username": "zone-manager",
            "password": "manager-pass",
            "role": "manager",
            "zone_ids": [east],
        },
        headers=city.admin,
    )
    manager = _login(base_url, "zone-manager", "manager-pass")
    with SseReader(base_url, manager) as console:
        city.order(IN_CENTRE)
        east_order = city.order(IN_EAST)
        events = console.until("offer.sent")
    assert {e.data["order_id"] for e in events} == {east_order["id"]}


def test_the_stream_needs_credentials(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as http:
        response = http.get("/api/v1/events")
    assert response.status_code == 401
