"""Installers' positions are soft state: on the map at once, saved in batches, never backwards.

The saver's thread is off in tests (``position_save_s=0``); each test flushes it by hand, so
what is saved and what a "crash" loses is decided by the test, not by timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.engine.positions import PositionSaver
from dispatchd.service.clock import FakeClock
from dispatchd.store import tables as t
from tests.helpers import IN_CENTRE, City
from tests.outbound import StubResolver

SOON = "2026-11-25T08:59:00Z"  # a minute before the fake clock's start
FAR = {"lat": 31.29, "lon": 121.54}
NEAR = {"lat": 31.231, "lon": 121.471}
MIDDLE = {"lat": 31.25, "lon": 121.50}


def _saver(app: FastAPI) -> PositionSaver:
    saver: PositionSaver = app.state.position_saver
    return saver


def _stored(app: FastAPI, installer_id: str) -> tuple[float | None, float | None, Any]:
    with app.state.dispatcher.reading() as conn:
        row = conn.execute(
            select(t.installers.c.lat, t.installers.c.lon, t.installers.c.location_at).where(
                t.installers.c.id == installer_id
            )
        ).one()
    return row.lat, row.lon, row.location_at


def _facts(app: FastAPI) -> dict[str, int]:
    """How many orders, offers, events and ledger entries the database holds."""
    with app.state.dispatcher.reading() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.orders, t.offers, t.events, t.ledger_entries, t.deadlines)
        }


def _report(client: TestClient, city: City, installer_id: str, body: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/me/location", json=body, headers=city.as_installer(installer_id)
    )
    assert response.status_code == 204, response.text


def _shown(client: TestClient, city: City, installer_id: str) -> dict[str, Any]:
    me = client.get("/api/v1/me", headers=city.as_installer(installer_id))
    assert me.status_code == 200, me.text
    location: dict[str, Any] = me.json()["location"]
    return location


def _iso(clock: FakeClock, seconds: float = 0) -> str:
    return (clock.now() + timedelta(seconds=seconds)).isoformat()


@pytest.fixture
def second_process(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """Another app on the same database, as a restarted or second server process would be."""
    with TestClient(create_app(settings, clock, StubResolver())) as other:
        yield other


def test_a_position_moves_the_installer_for_dispatch_at_once_and_is_saved_with_the_batch(
    client: TestClient, city: City, app: FastAPI, clock: FakeClock
) -> None:
    zone = city.zone()
    mover = city.installer([zone], at=FAR)
    other = city.installer([zone], at=MIDDLE)
    _saver(app).flush()
    before = _facts(app)
    _report(client, city, mover, {**NEAR, "at": _iso(clock)})
    assert _stored(app, mover)[:2] == (FAR["lat"], FAR["lon"])
    assert _facts(app) == before
    order = city.order(IN_CENTRE)
    assert order["current_offer"]["installer_id"] == mover
    assert other != mover
    assert _saver(app).flush() == 1
    assert _stored(app, mover) == (NEAR["lat"], NEAR["lon"], clock.now())
    assert _saver(app).flush() == 0


def test_a_crash_loses_only_the_last_batch_of_positions_and_no_order_offer_or_event(
    client: TestClient,
    city: City,
    app: FastAPI,
    clock: FakeClock,
    settings: Settings,
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=FAR)
    _saver(app).flush()
    order = city.order(IN_CENTRE)
    clock.advance(5)
    _report(client, city, installer, {**NEAR, "at": _iso(clock)})
    facts = _facts(app)
    seen = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    with TestClient(create_app(settings, clock, StubResolver())) as restarted:
        admin = City(restarted).admin
        shown = restarted.get(f"/api/v1/installers/{installer}", headers=admin).json()
        assert (shown["location"]["lat"], shown["location"]["lon"]) == (FAR["lat"], FAR["lon"])
        assert restarted.get(f"/api/v1/orders/{order['id']}", headers=admin).json() == seen
    facts_after = _facts(app)
    assert facts_after.pop("events") >= facts.pop("events")
    assert facts_after == facts
    assert _stored(app, installer)[:2] == (FAR["lat"], FAR["lon"])


def test_a_clean_shutdown_saves_the_positions_not_yet_saved(
    settings: Settings, clock: FakeClock, client: TestClient, city: City, app: FastAPI
) -> None:
    installer = city.installer([city.zone()], at=FAR)
    _saver(app).flush()
    with TestClient(create_app(settings, clock, StubResolver())) as other:
        headers = {"Authorization": city.as_installer(installer)["Authorization"]}
        clock.advance(1)
        moved = other.post("/api/v1/me/location", json=NEAR, headers=headers)
        assert moved.status_code == 204
        assert _stored(app, installer)[:2] == (FAR["lat"], FAR["lon"])
    assert _stored(app, installer) == (NEAR["lat"], NEAR["lon"], clock.now())


def test_a_position_older_than_the_one_known_is_ignored_in_memory_and_in_the_database(
    client: TestClient, city: City, app: FastAPI, clock: FakeClock
) -> None:
    installer = city.installer([city.zone()])
    _report(client, city, installer, {**NEAR, "at": _iso(clock)})
    _report(client, city, installer, {**FAR, "at": _iso(clock, -10)})
    assert (_shown(client, city, installer)["lat"]) == NEAR["lat"]
    _saver(app).flush()
    assert _stored(app, installer) == (NEAR["lat"], NEAR["lon"], clock.now())
    _report(client, city, installer, {**FAR, "at": _iso(clock, -5)})
    assert _saver(app).flush() == 0
    assert _stored(app, installer)[:2] == (NEAR["lat"], NEAR["lon"])


def test_a_process_that_missed_a_newer_position_cannot_save_its_older_one_over_it(
    client: TestClient,
    city: City,
    app: FastAPI,
    clock: FakeClock,
    second_process: TestClient,
) -> None:
    installer = city.installer([city.zone()], at=FAR)
    _saver(app).flush()
    headers = city.as_installer(installer)
    newer = {**NEAR, "at": _iso(clock, 20)}
    assert (
        second_process.post("/api/v1/me/location", json=newer, headers=headers).status_code == 204
    )
    _saver(second_process.app).flush()  # type: ignore[arg-type]
    _report(client, city, installer, {**MIDDLE, "at": _iso(clock, 10)})
    _saver(app).flush()
    at = clock.now() + timedelta(seconds=20)
    assert _stored(app, installer) == (NEAR["lat"], NEAR["lon"], at)


def test_of_several_points_in_one_request_the_newest_is_kept(
    client: TestClient, city: City, app: FastAPI, clock: FakeClock
) -> None:
    installer = city.installer([city.zone()])
    points = [
        {**FAR, "at": _iso(clock, -30)},
        {**NEAR, "accuracy_m": 8.0, "at": _iso(clock, -5)},
        {**MIDDLE, "at": _iso(clock, -20)},
    ]
    _report(client, city, installer, {"points": points})
    shown = _shown(client, city, installer)
    assert (shown["lat"], shown["lon"], shown["accuracy_m"]) == (NEAR["lat"], NEAR["lon"], 8.0)
    _saver(app).flush()
    assert _stored(app, installer) == (NEAR["lat"], NEAR["lon"], clock.now() - timedelta(seconds=5))


@pytest.mark.parametrize(
    ("bad_point", "field"),
    [
        ({"lat": 91.0}, "points[3].lat"),
        ({"lon": "east"}, "points[3].lon"),
        ({"at": "2030-01-01T00:00:00Z"}, "points[3].at"),
        ({"at": "2020-01-01T00:00:00Z"}, "points[3].at"),
        ({"at": "2026-11-25T08:59:00"}, "points[3].at"),
        ({"accuracy_m": -1}, "points[3].accuracy_m"),
        ({"speed": 3}, "points[3].speed"),
    ],
)
def test_a_bad_point_is_refused_by_its_field_and_no_point_of_the_request_is_taken(
    client: TestClient,
    city: City,
    app: FastAPI,
    clock: FakeClock,
    bad_point: dict[str, Any],
    field: str,
) -> None:
    installer = city.installer([city.zone()], at=FAR)
    _saver(app).flush()
    good = [{**NEAR, "at": _iso(clock, -n)} for n in range(4)]
    good[3] = {**good[3], **bad_point}
    response = client.post(
        "/api/v1/me/location", json={"points": good}, headers=city.as_installer(installer)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (_shown(client, city, installer)["lat"]) == FAR["lat"]
    assert _saver(app).flush() == 0
    assert _stored(app, installer)[:2] == (FAR["lat"], FAR["lon"])


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"points": []}, ["points"]),
        ({"points": [{**NEAR, "at": SOON}] * 101}, ["points"]),
        ({"points": [{**NEAR}]}, ["points[0].at"]),
        ({**NEAR, "points": [{**NEAR, "at": SOON}]}, ["lat", "lon"]),
        ({"accuracy_m": 5}, ["lat", "lon"]),
    ],
)
def test_a_location_body_that_is_neither_one_fix_nor_a_list_of_points_is_refused(
    client: TestClient, city: City, app: FastAPI, body: dict[str, Any], fields: list[str]
) -> None:
    installer = city.installer([city.zone()])
    response = client.post("/api/v1/me/location", json=body, headers=city.as_installer(installer))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == fields
    assert app.state.dispatcher.positions.pending() == 0


def test_a_single_fix_without_a_time_counts_as_taken_when_it_arrived(
    client: TestClient, city: City, app: FastAPI, clock: FakeClock
) -> None:
    installer = city.installer([city.zone()])
    clock.advance(30)
    _report(client, city, installer, {**NEAR, "accuracy_m": 12.5})
    _saver(app).flush()
    assert _stored(app, installer) == (NEAR["lat"], NEAR["lon"], clock.now())
    clock.advance(1)
    _report(client, city, installer, {**FAR, "at": _iso(clock, -2)})
    assert _shown(client, city, installer)["lat"] == NEAR["lat"]
