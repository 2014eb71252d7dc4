"""Rate limits over HTTP on both stores: counted in the database, per address and per account
(log-ins) or per address and per link (tracking), with addresses believed from trusted
proxies only, and every lock-out over when its window ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.service import passwords
from dispatchd.service.clock import FakeClock
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store import tables as t
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import login

WRONG_PASSWORD = {401, 403}
LOGIN = "/api/v1/auth/token"
Serve = Callable[..., TestClient]


@pytest.fixture
def serve(settings: Settings, clock: FakeClock) -> Iterator[Serve]:
    """Start the app with changed settings, reached from a chosen peer address."""
    with ExitStack() as stack:

        def start(peer: str = "127.0.0.1", **changes: Any) -> TestClient:
            app = create_app(settings.model_copy(update=changes), clock)
            return stack.enter_context(TestClient(app, client=(peer, 50000)))

        yield start


def log_in(
    client: TestClient, password: str, username: str = "admin", forwarded: str | None = None
) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    body = {"username": username, "password": password}
    return client.post(LOGIN, json=body, headers=headers).status_code


def dispatcher_of(client: TestClient) -> Dispatcher:
    dispatcher: Dispatcher = client.app.state.dispatcher  # type: ignore[attr-defined]
    return dispatcher


def counter_rows(client: TestClient) -> int:
    with dispatcher_of(client).reading() as conn:
        return int(conn.execute(select(func.count()).select_from(t.attempt_counters)).scalar_one())


def test_the_attempt_after_the_limit_is_refused_until_the_window_ends(
    serve: Serve, clock: FakeClock
) -> None:
    client = serve()
    clock.advance(10)
    statuses = [log_in(client, "guess-guess") for _ in range(10)]
    assert set(statuses) <= WRONG_PASSWORD
    refused = client.post(LOGIN, json={"username": "admin", "password": "guess-guess"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "50"
    assert refused.json()["type"] == "urn:dispatchd:problem:rate-limited"
    assert "50 seconds" in refused.json()["detail"]
    clock.advance(49)
    assert log_in(client, ADMIN_PASSWORD) == 429
    clock.advance(1)
    assert log_in(client, ADMIN_PASSWORD) == 200


def test_a_refused_log_in_never_reaches_the_password_check(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = serve()
    checks: list[str] = []
    real_verify = passwords.verify_password

    def counting_verify(stored: str | None, password: str) -> bool:
        checks.append(password)
        return real_verify(stored, password)

    monkeypatch.setattr("dispatchd.service.handlers.accounts.verify_password", counting_verify)
    for _ in range(15):
        log_in(client, "guess-guess")
    assert len(checks) == 10


def test_a_successful_log_in_does_not_clear_the_failures_counted_against_the_address(
    serve: Serve, clock: FakeClock
) -> None:
    client = serve(login_attempts_per_account_per_minute=100)
    admin = login(client, "admin", ADMIN_PASSWORD)
    mallory = {"username": "mallory", "password": "mallory-password", "role": "manager"}
    assert client.post("/api/v1/users", json=mallory, headers=admin).status_code == 201
    for _ in range(9):
        assert log_in(client, "guess-guess") in WRONG_PASSWORD
    assert log_in(client, "mallory-password", "mallory") == 200
    assert log_in(client, "guess-guess") in WRONG_PASSWORD
    assert log_in(client, "guess-guess") == 429
    assert log_in(client, "mallory-password", "mallory") == 429


def test_successful_log_ins_from_one_address_never_use_the_limit_up(serve: Serve) -> None:
    client = serve()
    assert [log_in(client, ADMIN_PASSWORD) for _ in range(25)] == [200] * 25


def test_x_forwarded_for_is_ignored_when_no_proxy_is_trusted(serve: Serve) -> None:
    client = serve(peer="127.0.0.1")
    statuses = [log_in(client, "guess-guess", forwarded=f"198.51.100.{n}") for n in range(11)]
    assert set(statuses[:10]) <= WRONG_PASSWORD
    assert statuses[10] == 429


def test_x_forwarded_for_from_a_peer_outside_the_trusted_proxies_is_ignored(
    serve: Serve,
) -> None:
    client = serve(peer="203.0.113.9", trusted_proxies="127.0.0.1,10.0.0.0/8")
    statuses = [log_in(client, "guess-guess", forwarded=f"198.51.100.{n}") for n in range(11)]
    assert set(statuses[:10]) <= WRONG_PASSWORD
    assert statuses[10] == 429


def test_a_trusted_proxy_is_believed_so_each_client_address_has_its_own_limit(
    serve: Serve,
) -> None:
    client = serve(peer="127.0.0.1", trusted_proxies="127.0.0.1")
    first = [log_in(client, "guess-guess", forwarded="198.51.100.1") for _ in range(11)]
    assert set(first[:10]) <= WRONG_PASSWORD
    assert first[10] == 429
    assert log_in(client, "guess-guess", forwarded="198.51.100.2") in WRONG_PASSWORD
    spoofed = "198.51.100.2, 198.51.100.1"
    assert log_in(client, ADMIN_PASSWORD, forwarded=spoofed) == 429


def test_an_account_is_limited_however_many_addresses_the_guesses_come_from(
    serve: Serve,
) -> None:
    client = serve(trusted_proxies="127.0.0.1")
    statuses = [log_in(client, "guess-guess", forwarded=f"198.51.100.{n}") for n in range(21)]
    assert set(statuses[:20]) <= WRONG_PASSWORD
    assert statuses[20] == 429
    assert log_in(client, "guess-guess", "someone-else", forwarded="198.51.100.99") in (
        WRONG_PASSWORD
    )


def test_one_address_alone_cannot_lock_the_account_owner_out(serve: Serve) -> None:
    client = serve(trusted_proxies="127.0.0.1")
    for _ in range(30):
        log_in(client, "guess-guess", forwarded="198.51.100.66")
    assert log_in(client, ADMIN_PASSWORD, forwarded="192.0.2.10") == 200


def test_a_refused_attempt_changes_no_counter(serve: Serve) -> None:
    client = serve(trusted_proxies="127.0.0.1")
    for _ in range(10):
        log_in(client, "guess-guess", forwarded="198.51.100.1")
    with dispatcher_of(client).reading() as conn:
        before = conn.execute(select(t.attempt_counters)).all()
    assert log_in(client, "guess-guess", forwarded="198.51.100.1") == 429
    with dispatcher_of(client).reading() as conn:
        after = conn.execute(select(t.attempt_counters)).all()
    assert sorted(after) == sorted(before)
    assert sorted(row.hits for row in after) == [10, 10]


def test_ended_windows_are_purged_when_a_new_window_opens(serve: Serve, clock: FakeClock) -> None:
    client = serve()
    for n in range(3):
        client.get(f"/api/v1/track/guess-{n}")
    log_in(client, "guess-guess")
    assert counter_rows(client) == 3 + 1 + 2
    clock.advance(60)
    log_in(client, "guess-guess")
    assert counter_rows(client) == 2


def test_requests_that_invite_no_guessing_write_no_counter(serve: Serve) -> None:
    client = serve()
    client.get("/healthz")
    client.get("/api/v1/orders")
    client.get("/api/v1/policy", headers={"Authorization": "Bearer not-a-token"})
    assert counter_rows(client) == 0


def test_tracking_lookups_are_limited_per_address_across_links(serve: Serve) -> None:
    client = serve(trusted_proxies="127.0.0.1")
    own = {"X-Forwarded-For": "198.51.100.1"}
    statuses = [client.get(f"/api/v1/track/guess-{n}", headers=own).status_code for n in range(61)]
    assert statuses[:60] == [404] * 60
    refused = client.get("/t/another-guess", headers=own)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    other = {"X-Forwarded-For": "198.51.100.2"}
    assert client.get("/api/v1/track/guess-0", headers=other).status_code == 404


def test_tracking_lookups_of_one_link_are_limited_across_addresses(serve: Serve) -> None:
    client = serve(trusted_proxies="127.0.0.1")
    statuses = [
        client.get("/api/v1/track/one-link", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(31)
    ]
    assert [s.status_code for s in statuses[:30]] == [404] * 30
    assert statuses[30].status_code == 429
    assert client.get("/api/v1/track/other-link").status_code == 404
