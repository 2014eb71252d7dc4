"""Two live ``dispatchd serve`` processes on one PostgreSQL: what one does, the other hears.

Both hints travel by ``NOTIFY``: the slow polls are set to 30 s here, so anything that
arrives within a second arrived because it was announced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

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
