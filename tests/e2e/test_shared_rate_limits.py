"""Rate limits on live ``dispatchd serve`` processes: one limit however many processes share
PostgreSQL, and ``X-Forwarded-For`` from a local peer believed only when it is trusted.

The window is set to 10^9 seconds (its current one ends in 2033), so no test can straddle a
window boundary on the real clock and see its count split in two.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.e2e.server import ServerProcess

pytestmark = [pytest.mark.e2e]

ONE_WINDOW = {"DISPATCHD_RATE_LIMIT_WINDOW_S": str(10**9)}
WRONG_PASSWORD = {401, 403}
LOGIN = "/api/v1/auth/token"


def attempt(base_url: str, password: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    body = {"username": "admin", "password": password}
    return httpx.post(base_url + LOGIN, json=body, headers=headers, timeout=30).status_code


@pytest.fixture
def two_servers(tmp_path: Path, postgres_url: str) -> Iterator[list[ServerProcess]]:
    """Two processes on one PostgreSQL database, their own ports and data directories."""
    env = {
        "DISPATCHD_DATABASE_URL": postgres_url,
        "DISPATCHD_SECRET_KEY": "rate-limit-test-key",
        "DISPATCHD_TRUSTED_PROXIES": "127.0.0.1",
        **ONE_WINDOW,
    }
    servers = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        servers.append(ServerProcess(tmp_path / name, env))
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.kill()


@pytest.mark.postgresql
def test_two_processes_on_postgresql_allow_together_what_one_process_allows(
    two_servers: list[ServerProcess],
) -> None:
    a, b = (server.base_url for server in two_servers)
    statuses = [attempt((a, b)[n % 2], "guess-guess", "198.51.100.1") for n in range(10)]
    assert set(statuses) <= WRONG_PASSWORD
    assert attempt(a, "guess-guess", "198.51.100.1") == 429
    assert attempt(b, ADMIN_PASSWORD, "198.51.100.1") == 429
    assert attempt(b, ADMIN_PASSWORD, "198.51.100.2") == 200


@pytest.mark.postgresql
def test_concurrent_guesses_split_across_two_processes_get_exactly_one_limit(
    two_servers: list[ServerProcess],
) -> None:
    a, b = (server.base_url for server in two_servers)
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(
            pool.map(lambda n: attempt((a, b)[n % 2], "guess-guess", "198.51.100.7"), range(24))
        )
    assert sum(status in WRONG_PASSWORD for status in statuses) == 10
    assert statuses.count(429) == 14


@pytest.mark.postgresql
def test_an_account_guessed_from_many_addresses_on_two_processes_is_limited_once(
    two_servers: list[ServerProcess],
) -> None:
    a, b = (server.base_url for server in two_servers)
    statuses = [attempt((a, b)[n % 2], "guess-guess", f"203.0.113.{n}") for n in range(20)]
    assert set(statuses) <= WRONG_PASSWORD
    assert attempt(b, "guess-guess", "203.0.113.200") == 429
    assert attempt(a, "guess-guess", "203.0.113.201") == 429


def test_the_server_ignores_x_forwarded_for_from_loopback_unless_told_to_trust_it(
    tmp_path: Path,
) -> None:
    untrusting = ServerProcess(tmp_path / "untrusting", ONE_WINDOW)
    trusting = ServerProcess(
        tmp_path / "trusting", {**ONE_WINDOW, "DISPATCHD_TRUSTED_PROXIES": "127.0.0.1"}
    )
    for server in (untrusting, trusting):
        server.data_dir.mkdir()
        server.start()
    try:
        spread = [f"198.51.100.{n}" for n in range(11)]
        ignored = [attempt(untrusting.base_url, "guess-guess", ip) for ip in spread]
        believed = [attempt(trusting.base_url, "guess-guess", ip) for ip in spread]
    finally:
        untrusting.kill()
        trusting.kill()
    assert set(ignored[:10]) <= WRONG_PASSWORD
    assert ignored[10] == 429
    assert set(believed) <= WRONG_PASSWORD
