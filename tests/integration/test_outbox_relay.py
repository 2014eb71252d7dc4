"""The outbox relay: retries with backoff, dead letters with an alert, Apprise gateways."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dispatchd.engine.outbox import OutboxRelay, backoff
from dispatchd.notify.sms import AppriseChannel, DeliveryFailed, Sms
from dispatchd.service.clock import FakeClock
from dispatchd.service.unit_of_work import UnitOfWork
from tests.helpers import IN_CENTRE, City


class FlakyChannel:
    """Fails the first ``failures`` sends, then records what it is given."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[Sms] = []

    def send(self, message: Sms) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryFailed("gateway down")
        self.sent.append(message)


def _accepted_order(city: City, client: TestClient) -> str:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    order = city.order()
    client.post(
        f"/api/v1/offers/{order['current_offer']['id']}/accept",
        headers=city.as_installer(installer),
    )
    return str(order["id"])


def test_a_failed_sms_is_retried_with_backoff_until_it_goes_through(
    city: City, client: TestClient, app: FastAPI, clock: FakeClock
) -> None:
    dispatcher = app.state.dispatcher
    channel = FlakyChannel(failures=2)
    relay = OutboxRelay(dispatcher, channel, dispatcher.key)
    _accepted_order(city, client)
    assert relay.run_due() == 0
    assert relay.run_due() == 0
    clock.advance(backoff(1).total_seconds())
    assert relay.run_due() == 0
    clock.advance(backoff(2).total_seconds())
    assert relay.run_due() == 1
    assert len(channel.sent) == 1
    with dispatcher.reading() as conn:
        [message] = [m for m in [UnitOfWork(conn).outbox.get(1)] if m]
    assert message.status.value == "sent"
    assert message.attempts == 3
    assert message.payload["sealed"] is None


def test_an_sms_that_keeps_failing_is_dead_lettered_and_a_manager_is_alerted(
    city: City, client: TestClient, app: FastAPI, clock: FakeClock
) -> None:
    dispatcher = app.state.dispatcher
    relay = OutboxRelay(dispatcher, FlakyChannel(failures=100), dispatcher.key, max_attempts=3)
    order_id = _accepted_order(city, client)
    for _ in range(5):
        relay.run_due()
        clock.advance(3600)
    alerts = client.get("/api/v1/alerts", headers=city.admin).json()["items"]
    assert [(a["type"], a["order_id"]) for a in alerts] == [("message_undelivered", order_id)]
    assert "failed 3 times" in alerts[0]["detail"]
    with dispatcher.reading() as conn:
        outbox = UnitOfWork(conn).outbox
        message = outbox.get(1)
        assert message is not None
        assert message.status.value == "dead"
        assert message.attempts == 3
        assert outbox.backlog() == 0


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/sms", _Receiver.received
    server.shutdown()
    server.server_close()


def test_an_apprise_gateway_receives_the_message_with_its_reference(
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = receiver
    AppriseChannel(url).send(Sms(7, "+8613912345678", "hello", "ord_x", "2026-11-25T09:00:00.000Z"))
    assert len(received) == 1
    assert received[0]["message"] == "hello"
    assert "dispatchd message 7" in received[0]["title"]


def test_an_unreachable_apprise_gateway_is_a_delivery_failure() -> None:
    channel = AppriseChannel("json://127.0.0.1:9/nowhere")
    with pytest.raises(DeliveryFailed):
        channel.send(Sms(8, "+8613912345678", "hello", None, "2026-11-25T09:00:00.000Z"))
