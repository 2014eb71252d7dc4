"""Two live ``dispatchd serve`` processes on one PostgreSQL: what one does, the other hears.

Both hints travel by ``NOTIFY``: the slow polls are set to 30 s here, so anything that
arrives within a second arrived because it was announced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.e2e.conftest import build_city, new_order
from tests.e2e.server import Api, ServerProcess
from tests.live import SseReader

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql]

SLOW_POLL = {"DISPATCHD_EVENT_POLL_S": "30", "DISPATCHD_ENGINE_POLL_S": "30"}


@pytest.fixture
def shared_env(postgres_url: str) -> dict[str, str]:
    return {"DISPATCHD_DATABASE_URL": postgres_url, "DISPATCHD_SECRET_KEY": "scale-out-test-key"}


@pytest.fixture
def two_servers(tmp_path: Path, shared_env: dict[str, str]) -> Iterator[list[ServerProcess]]:
    servers = []
    for name, engine in (("a", "false"), ("b", "true")):
        data_dir = tmp_path / name
        data_dir.mkdir()
        env = {**shared_env, **SLOW_POLL, "DISPATCHD_RUN_ENGINE": engine}
        servers.append(ServerProcess(data_dir, env))
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.kill()


def test_an_event_committed_on_one_process_reaches_a_stream_on_another_within_a_second(
    two_servers: list[ServerProcess],
) -> None:
    a, b = (Api(server.base_url) for server in two_servers)
    city = build_city(a, installers=1)
    with SseReader(two_servers[1].base_url, b.login("admin", ADMIN_PASSWORD)) as stream:
        sent = time.monotonic()
        order = new_order(a, city["admin"])
        seen = stream.until("offer.sent", timeout=5)
        latency = time.monotonic() - sent
    assert {event.data["order_id"] for event in seen} == {order["id"]}
    assert latency < 1.0, f"the event took {latency:.2f} s to cross processes"
    a.close()
    b.close()


def test_a_deadline_committed_on_one_process_wakes_the_sleeping_engine_of_another(
    two_servers: list[ServerProcess],
) -> None:
    a, b = (Api(server.base_url) for server in two_servers)
    city = build_city(a, installers=1)
    time.sleep(0.5)
    with SseReader(two_servers[1].base_url, b.login("admin", ADMIN_PASSWORD)) as stream:
        new_order(a, city["admin"])
        stream.until("offer.sent", timeout=5)
        sent = time.monotonic()
        stream.until("offer.reminded", timeout=10)
        waited = time.monotonic() - sent
    assert waited < 2.5, f"the reminder due after 1 s fired after {waited:.2f} s"
    a.close()
    b.close()


def _queued_and_logged(postgres_url: str) -> tuple[list[str], list[str]]:
    with psycopg.connect(postgres_url) as conn:
        queued = [row[0] for row in conn.execute("SELECT name FROM event_queue ORDER BY seq")]
        logged = [row[0] for row in conn.execute("SELECT name FROM events ORDER BY id")]
    return queued, logged


def test_a_process_killed_between_commit_and_publication_has_its_events_published_once_later(
    tmp_path: Path, shared_env: dict[str, str], postgres_url: str
) -> None:
    data_dir = tmp_path / "crashing"
    data_dir.mkdir()
    quiet = {**shared_env, **SLOW_POLL, "DISPATCHD_RUN_ENGINE": "false"}
    server = ServerProcess(data_dir, quiet)
    try:
        server.start(DISPATCHD_CRASH_AT="events.before_publication")
        api = Api(server.base_url)
        city = build_city(api, installers=1)
        with pytest.raises(httpx.TransportError):
            new_order(api, city["admin"])
        assert server.wait_exit(timeout=15) == -9
        api.close()
        queued, logged = _queued_and_logged(postgres_url)
        assert "order.created" in queued
        assert logged == []

        server.start()
        api = Api(server.base_url)
        admin = api.login("admin", ADMIN_PASSWORD)
        orders = api.call("GET", "/api/v1/orders", admin)["items"]
        detail = api.call("GET", f"/api/v1/orders/{orders[0]['id']}", admin)
        assert [event["event"] for event in detail["events"]] == queued
        assert _queued_and_logged(postgres_url) == ([], queued)
        api.close()
    finally:
        server.kill()
