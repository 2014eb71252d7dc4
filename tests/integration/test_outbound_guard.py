"""Push endpoints that point into the server's own network are refused, and never connected to.

Each hostile endpoint is refused when a phone subscribes (a 422 naming ``endpoint``, nothing
stored) and again when a push would be sent to it (a recorded failure, no connection) — even
if the row got into the database some other way. Host names are looked up in a stub table.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatchd.notify.outbound import OutboundGuard
from dispatchd.notify.pinned_https import PinnedHttpsClient
from dispatchd.notify.push_sender import WebPushSender
from dispatchd.notify.webpush import EndpointRefused, PushFailed, deliver, new_vapid_keys
from dispatchd.store import tables as t
from dispatchd.store.push import PushSubscription, PushSubscriptions
from tests.helpers import IN_CENTRE, City
from tests.outbound import StubResolver

P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"
DEFAULT_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.push.apple.com",
    "*.notify.windows.com",
)

HOSTILE = [
    ("https://127.0.0.1/push", "by address"),
    ("https://127.1:8443/push", "127.0.0.1 is a loopback"),
    ("https://0177.0.0.1/push", "127.0.0.1 is a loopback"),
    ("https://0x7f.1/push", "127.0.0.1 is a loopback"),
    ("https://2130706433/push", "127.0.0.1 is a loopback"),
    ("https://017700000001/push", "127.0.0.1 is a loopback"),
    ("https://0x7f000001/push", "127.0.0.1 is a loopback"),
    ("https://127.0.0.1./push", "127.0.0.1 is a loopback"),
    ("https://localhost/push", "local name"),
    ("https://localhost./push", "local name"),
    ("https://push.localhost/push", "local name"),
    ("https://10.1/push", "10.0.0.1 is a private"),
    ("https://192.168.1/push", "192.168.0.1 is a private"),
    ("https://0.0.0.0/push", "unspecified"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://100.64.0.1/push", "carrier-grade NAT"),
    ("https://[::1]/push", "::1 is a loopback"),
    ("https://[::ffff:127.0.0.1]/push", "127.0.0.1 written as IPv6"),
    ("https://[::ffff:7f00:1]/push", "127.0.0.1 written as IPv6"),
    ("https://[2002:a00:1::]/push", "leads to 10.0.0.1"),
    ("https://[fe80::1]/push", "link-local"),
    ("https://224.0.0.1/push", "multicast"),
    ("https://private.notify.windows.com/push", "refused address: 10.20.30.40 is a private"),
    ("https://mixed.push.apple.com/push", "refused address: 192.168.0.5 is a private"),
    ("https://loopback.notify.windows.com/push", "refused address: 127.0.0.1 is a loopback"),
    ("https://mapped.push.apple.com/push", "127.0.0.1 written as IPv6"),
    ("https://metadata.notify.windows.com/push", "169.254.169.254 is a link-local"),
    ("https://cgnat.push.apple.com/push", "carrier-grade NAT"),
    ("https://nowhere.push.apple.com/push", "could not be resolved"),
    ("http://fcm.googleapis.com/fcm/send/abc", "https://"),
    ("https://user:pw@fcm.googleapis.com/fcm/send/abc", "user name or password"),
    ("https://fcm.googleapis.com@127.0.0.1/push", "user name or password"),
    ("https://push.example.com/push", "not a known push service"),
    ("https://evilfcm.googleapis.com/push", "not a known push service"),
    ("https://fcm.googleapis.com.evil.example/push", "not a known push service"),
    ("https://push.apple.com/push", "not a known push service"),
]


def _subscription(endpoint: str) -> dict[str, object]:
    return {"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}}


def _stored_subscriptions(app: FastAPI) -> int:
    with app.state.dispatcher.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(t.push_subscriptions)).scalar())


def _insert_subscription(app: FastAPI, installer_id: str, endpoint: str, number: int = 0) -> None:
    dispatcher = app.state.dispatcher
    with dispatcher.database.write() as conn:
        PushSubscriptions(conn).save(
            PushSubscription(
                f"psb_hostile{number}", installer_id, endpoint, P256DH, AUTH, dispatcher.clock.now()
            )
        )


def test_every_hostile_endpoint_is_refused_at_subscribe_and_nothing_is_stored(
    city: City, client: TestClient, app: FastAPI
) -> None:
    headers = city.as_installer(city.installer([city.zone()]))
    wrong = []
    for endpoint, rule in HOSTILE:
        response = client.post(
            "/api/v1/me/push-subscriptions", json=_subscription(endpoint), headers=headers
        )
        errors = [(e["field"], e["message"]) for e in response.json().get("errors", [])]
        refused = (
            response.status_code == 422
            and response.headers["content-type"] == "application/problem+json"
            and len(errors) == 1
            and errors[0][0] == "endpoint"
            and rule in errors[0][1]
        )
        if not refused:
            wrong.append((endpoint, response.status_code, errors))
    assert wrong == []
    assert _stored_subscriptions(app) == 0


def test_a_known_push_service_with_public_addresses_is_accepted(
    city: City, client: TestClient, app: FastAPI
) -> None:
    installer = city.installer([city.zone()])
    response = client.post(
        "/api/v1/me/push-subscriptions",
        json=_subscription("https://web.push.apple.com/QGuQyavXutnMH"),
        headers=city.as_installer(installer),
    )
    assert response.status_code == 201, response.text
    assert _stored_subscriptions(app) == 1


class NoDialling:
    """An ``open_socket`` that records any attempt to connect (there must be none)."""

    def __init__(self) -> None:
        self.dialled: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], _timeout_s: float) -> socket.socket:
        self.dialled.append(address)
        raise ConnectionRefusedError("a refused endpoint must never be dialled")


def test_every_hostile_endpoint_in_the_database_is_refused_at_send_without_a_connection(
    city: City, client: TestClient, app: FastAPI
) -> None:
    installer = city.installer([city.zone()])
    for number, (endpoint, _rule) in enumerate(HOSTILE):
        _insert_subscription(app, installer, endpoint, number)
    dialler = NoDialling()
    dispatcher = app.state.dispatcher
    forgotten: list[str] = []
    sender = WebPushSender(
        dispatcher.reading,
        forgotten.append,
        "mailto:ops@example.test",
        PinnedHttpsClient(OutboundGuard(DEFAULT_HOSTS, StubResolver()), open_socket=dialler),
    )
    with pytest.raises(PushFailed) as failed:
        sender.send(installer, {"kind": "new_offer"})
    reasons = str(failed.value).split("; ")
    assert len(reasons) == len(HOSTILE)
    assert all(reason.startswith("push endpoint refused, not sent") for reason in reasons)
    assert [rule for _, rule in HOSTILE if not any(rule in r for r in reasons)] == []
    assert dialler.dialled == []
    assert forgotten == []


def test_a_refused_endpoint_is_its_own_failure_for_a_single_phone() -> None:
    client = PinnedHttpsClient(
        OutboundGuard(DEFAULT_HOSTS, StubResolver()), open_socket=NoDialling()
    )
    with pytest.raises(EndpointRefused):
        deliver(
            {"endpoint": "https://0x7f.1/push", "p256dh": P256DH, "auth": AUTH},
            {"kind": "new_offer"},
            new_vapid_keys().private_key,
            "mailto:ops@example.test",
            client,
        )


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP socket listening on loopback that nobody accepts from: connections queue up."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)
    yield server
    server.close()


def _queued_connections(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def test_an_offer_never_opens_a_connection_to_a_loopback_listener_named_by_a_stored_row(
    city: City, client: TestClient, app: FastAPI, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    installer = city.installer([city.zone()], at=IN_CENTRE)
    endpoints = [
        f"https://127.0.0.1:{port}/push",
        f"https://127.1:{port}/push",
        f"https://0x7f.1:{port}/push",
        f"https://localhost:{port}/push",
        f"https://loopback.notify.windows.com:{port}/push",
        f"https://[::ffff:127.0.0.1]:{port}/push",
    ]
    for number, endpoint in enumerate(endpoints):
        _insert_subscription(app, installer, endpoint, number)
    city.order()
    delivered = app.state.relay.run_due()
    assert delivered == 0
    assert _queued_connections(listener) == 0
    with app.state.dispatcher.reading() as conn:
        pushes = select(t.outbox.c.attempts, t.outbox.c.last_error)
        failures = conn.execute(pushes.where(t.outbox.c.channel == "webpush")).all()
    assert len(failures) == 1
    attempts, error = failures[0]
    assert attempts == 1
    assert error.count("push endpoint refused, not sent") == len(endpoints)
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert _queued_connections(listener) == 1
