"""Verified tokens are remembered per process, and forgotten everywhere the moment one changes.

The second process is another app on the test's database (its own dispatcher, pool and token
cache), as a second ``dispatchd serve`` would be.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.service.clock import FakeClock
from dispatchd.store import tables as t
from tests.helpers import CENTRE, EAST, IN_CENTRE, IN_EAST, City, login
from tests.outbound import StubResolver


@pytest.fixture
def other(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """A second process on the same database."""
    with TestClient(create_app(settings, clock, StubResolver())) as second:
        yield second


def test_a_token_revoked_in_one_process_is_refused_by_the_next_request_on_another(
    city: City, client: TestClient, other: TestClient
) -> None:
    me = city.installer([city.zone()])
    headers = city.as_installer(me)
    for _ in range(2):
        assert other.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    refused = other.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("unauthenticated")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_user_narrowed_in_one_process_is_narrowed_at_once_on_another(
    city: City, client: TestClient, other: TestClient
) -> None:
    centre, east = city.zone("Centre", CENTRE), city.zone("East", EAST)
    city.installer([centre], at=IN_CENTRE, name="Central")
    city.installer([east], at=IN_EAST, name="Eastern")
    body = {"username": "mia", "password": "manager-pass", "role": "manager", "zone_ids": []}
    manager = client.post("/api/v1/users", json=body, headers=city.admin).json()["id"]
    as_manager = login(client, "mia", "manager-pass")
    assert len(other.get("/api/v1/installers", headers=as_manager).json()["items"]) == 2
    narrowed = client.patch(
        f"/api/v1/users/{manager}", json={"zone_ids": [east]}, headers=city.admin
    )
    assert narrowed.status_code == 200, narrowed.text
    names = [i["name"] for i in other.get("/api/v1/installers", headers=as_manager).json()["items"]]
    assert names == ["Eastern"]


def test_a_remembered_token_is_not_read_again_until_it_has_been_remembered_a_minute(
    city: City, client: TestClient, app: FastAPI, clock: FakeClock
) -> None:
    me = city.installer([city.zone()])
    headers = city.as_installer(me)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.state.dispatcher.database.write() as conn:
        conn.execute(delete(t.auth_tokens))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(59)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(1)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_remembered_token_stops_working_when_it_expires(
    city: City, client: TestClient, clock: FakeClock, settings: Settings
) -> None:
    me = city.installer([city.zone()])
    headers = city.as_installer(me)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(settings.token_ttl_s - 30)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(30)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
