"""A phone in a pocket still rings: offers become Web Push messages from the outbox."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.engine.outbox import OutboxRelay
from dispatchd.notify.push_sender import WebPushSender
from dispatchd.notify.sms import sms_channel
from dispatchd.notify.webpush import SubscriptionGone
from dispatchd.service.actors import SYSTEM
from dispatchd.service.clock import FakeClock
from dispatchd.service.commands import ForgetGonePhone
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.push import PushSubscription, PushSubscriptions
from tests.helpers import IN_CENTRE, City


class RecordingPush:
    """A push channel that records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []

    def send(self, installer_id: str, payload: dict[str, object]) -> None:
        self.sent.append((installer_id, payload))


def _subscribe(app: FastAPI, installer_id: str, clock: FakeClock) -> None:
    with app.state.dispatcher.database.write() as conn:
        PushSubscriptions(conn).save(
            PushSubscription(
                "psh_test",
                installer_id,
                "https://push.example/endpoint",
                "k" * 87,
                "a" * 22,
                clock.now(),
            )
        )


def test_an_offer_and_its_reminders_are_pushed_to_a_subscribed_phone(
    city: City, client: TestClient, app: FastAPI, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone()
    subscribed = city.installer([zone], at=IN_CENTRE)
    _subscribe(app, subscribed, clock)
    dispatcher = app.state.dispatcher
    push = RecordingPush()
    sms = sms_channel(dispatcher.settings.sms_url, dispatcher.settings.data_dir)
    relay = OutboxRelay(dispatcher, sms, dispatcher.key, push=push)
    order = city.order()
    clock.advance(300)
    engine.run_due()
    clock.advance(300)
    engine.run_due()
    relay.run_due()
    kinds = [payload["kind"] for _, payload in push.sent]
    assert kinds == ["new_offer", "reminder", "penalty"]
    assert {installer for installer, _ in push.sent} == {subscribed}
    assert push.sent[0][1]["order_id"] == order["id"]
    assert push.sent[2][1]["amount"] == 2000
    assert all(payload["insistent"] for _, payload in push.sent)


def test_installers_without_a_subscribed_phone_get_no_push_messages(
    city: City, app: FastAPI
) -> None:
    zone = city.zone()
    city.installer([zone], at=IN_CENTRE)
    city.order()
    with app.state.dispatcher.reading() as conn:
        assert UnitOfWork(conn).outbox.backlog() == 0


def test_a_phone_the_push_service_forgot_is_removed(
    city: City, app: FastAPI, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    _subscribe(app, installer, clock)

    def gone(*_args: object, **_kwargs: object) -> None:
        raise SubscriptionGone("the push service answered 410", 410)

    monkeypatch.setattr("dispatchd.notify.push_sender.deliver", gone)
    dispatcher = app.state.dispatcher
    sender = WebPushSender(
        dispatcher.reading,
        lambda endpoint: dispatcher.execute(ForgetGonePhone(endpoint), SYSTEM),
        "mailto:ops@example.test",
        app.state.outbound,
    )
    sender.send(installer, {"kind": "new_offer"})
    with dispatcher.reading() as conn:
        assert PushSubscriptions(conn).for_installer(installer) == []
