"""The customer's SMS at every stage — accepted, window agreed, on the way, done — each once
even when the relay dies between sending and recording; in the deployment's language and time
zone; in the words an admin stored; with the phone number the deployment chose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.engine.outbox import LEASE_S, OutboxRelay
from dispatchd.notify.sms import FileSink, Sms
from dispatchd.service.clock import FakeClock
from tests.helpers import IN_CENTRE, City, login
from tests.outbound import StubResolver
from tests.photos import jpeg

STAGE_MARKS = {
    "zh-CN": ("服务码", "将于", "已出发", "评分"),
    "en": ("Service code", "will come", "on the way", "rate the service"),
}


class RelayKilled(BaseException):
    """The relay's process dies: nothing after this line of the relay runs."""


class DiesAfterSending:
    """Hands the message to the real sink, then the process dies before recording it."""

    def __init__(self, sink: FileSink) -> None:
        self.sink = sink

    def send(self, message: Sms) -> None:
        self.sink.send(message)
        raise RelayKilled


def sms_lines(settings: Settings) -> list[dict[str, Any]]:
    path = settings.data_dir / "sms.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class Stages:
    """An order taken through every stage the customer hears of, by its installer."""

    def __init__(self, city: City, client: TestClient, clock: FakeClock) -> None:
        self.city, self.client, self.clock = city, client, clock
        zone = city.zone()
        self.installer = city.installer([zone], at=IN_CENTRE, name="Wang Wei")
        self.order = city.order()
        self.headers = city.as_installer(self.installer)

    def accept(self) -> None:
        offer = self.order["current_offer"]["id"]
        response = self.client.post(f"/api/v1/offers/{offer}/accept", headers=self.headers)
        assert response.status_code == 200, response.text

    def agree_window(self, days: int = 1, reason: str | None = None) -> None:
        start = (self.clock.now() + timedelta(days=days)).replace(hour=2, minute=0)
        body: dict[str, Any] = {
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=2)).isoformat(),
        }
        if reason:
            body["reason"] = reason
        response = self.client.put(
            f"/api/v1/orders/{self.order['id']}/appointment", json=body, headers=self.headers
        )
        assert response.status_code == 200, response.text

    def set_off(self) -> None:
        response = self.client.post(
            f"/api/v1/orders/{self.order['id']}/on-the-way", headers=self.headers
        )
        assert response.status_code == 200, response.text

    def complete(self) -> None:
        started = self.client.post(f"/api/v1/orders/{self.order['id']}/start", headers=self.headers)
        assert started.status_code == 200, started.text
        done = self.client.post(
            f"/api/v1/orders/{self.order['id']}/complete",
            files={"photo": ("work.jpg", jpeg(), "image/jpeg")},
            headers=self.headers,
        )
        assert done.status_code == 200, done.text

    def all(self) -> list[Any]:
        return [self.accept, self.agree_window, self.set_off, self.complete]


@pytest.fixture
def stages(city: City, client: TestClient, clock: FakeClock) -> Stages:
    return Stages(city, client, clock)


def test_each_stage_reaches_the_customer_once_though_the_relay_dies_after_sending_each(
    stages: Stages, app: FastAPI, settings: Settings, clock: FakeClock
) -> None:
    dispatcher = app.state.dispatcher
    path = Path(settings.data_dir / "sms.jsonl")
    for stage in stages.all():
        stage()
        dying = OutboxRelay(dispatcher, DiesAfterSending(FileSink(path)), dispatcher.key)
        with pytest.raises(RelayKilled):
            dying.run_due()
        clock.advance(LEASE_S + 1)
        assert OutboxRelay(dispatcher, FileSink(path), dispatcher.key).run_due() == 1
    bodies = [line["body"] for line in sms_lines(settings)]
    assert len(bodies) == 4, bodies
    for body, mark in zip(bodies, STAGE_MARKS["zh-CN"], strict=True):
        assert mark in body
    assert stages.order["tracking_url"] in bodies[2]
    assert f"{stages.order['tracking_url']}#rate" in bodies[3]
    assert {line["order_id"] for line in sms_lines(settings)} == {stages.order["id"]}


def test_a_stage_repeated_before_the_relay_ran_leaves_the_customer_only_the_latest(
    stages: Stages, app: FastAPI, settings: Settings
) -> None:
    stages.accept()
    stages.agree_window(days=1)
    stages.agree_window(days=2, reason="parts late")
    stages.agree_window(days=3, reason="customer away")
    stages.set_off()
    stages.set_off()
    app.state.relay.run_due()
    bodies = [line["body"] for line in sms_lines(settings)]
    assert len(bodies) == 3, bodies
    assert "customer away" in bodies[1]
    assert "已出发" in bodies[2]


def test_a_job_done_before_the_on_the_way_message_left_sends_only_the_thanks(
    stages: Stages, app: FastAPI, settings: Settings
) -> None:
    stages.accept()
    app.state.relay.run_due()
    stages.set_off()
    stages.complete()
    app.state.relay.run_due()
    bodies = [line["body"] for line in sms_lines(settings)]
    assert len(bodies) == 2, bodies
    assert "评分" in bodies[1]


@contextmanager
def deployment(settings: Settings, clock: FakeClock) -> Iterator[tuple[FastAPI, Stages]]:
    """A server of its own with these settings, and an order ready to go through its stages."""
    app = create_app(settings, clock, StubResolver())
    with TestClient(app) as client:
        yield app, Stages(City(client), client, clock)


@pytest.mark.parametrize(
    ("locale", "zone", "expected"),
    [
        # The window starts at 02:00 UTC on 26 November: 10:00 in Shanghai, 02:00 in London.
        ("zh-CN", "Asia/Shanghai", "11月26日 10:00–12:00"),
        ("en", "Europe/London", "on 26 Nov, 02:00–04:00"),
    ],
)
def test_the_messages_speak_the_deployments_language_with_the_window_in_its_zone(
    settings: Settings, clock: FakeClock, locale: str, zone: str, expected: str
) -> None:
    configured = settings.model_copy(update={"locale": locale, "timezone": zone})
    with deployment(configured, clock) as (app, stages):
        for stage in stages.all():
            stage()
            app.state.relay.run_due()
        token = stages.order["tracking_url"].rsplit("/", 1)[1]
        tracked = stages.client.get(f"/api/v1/track/{token}").json()
    bodies = [line["body"] for line in sms_lines(configured)]
    assert len(bodies) == 4
    for body, mark in zip(bodies, STAGE_MARKS[locale], strict=True):
        assert mark in body
    assert expected in bodies[1]
    assert tracked["appointment"]["window_local"] == expected
    assert tracked["appointment"]["timezone"] == zone
    assert tracked["appointment"]["window_start"] == "2026-11-26T02:00:00.000Z"
    assert tracked["accepted_at"] <= tracked["appointment"]["set_at"] <= tracked["started_at"]


# -- the words as data ------------------------------------------------------------------------


def manager_headers(city: City) -> dict[str, str]:
    created = city.client.post(
        "/api/v1/users",
        json={"username": "a-manager", "password": "manager-password", "role": "manager"},
        headers=city.admin,
    )
    assert created.status_code == 201, created.text
    return login(city.client, "a-manager", "manager-password")


def test_an_admin_edits_a_message_and_the_next_one_is_sent_in_those_words(
    stages: Stages, app: FastAPI, settings: Settings
) -> None:
    client, admin = stages.client, stages.city.admin
    listed = client.get("/api/v1/message-templates", headers=admin).json()
    names = {(item["name"], item["locale"]) for item in listed["items"]}
    assert ("on_the_way", "en") in names
    assert ("job_completed", "zh-CN") in names
    words = "${installer_name} is coming: ${tracking_url}"
    saved = client.put(
        f"/api/v1/message-templates/on_the_way/{settings.locale}",
        json={"body": words},
        headers=admin,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["edited"] is True
    assert saved.json()["body"] == words
    stages.accept()
    stages.set_off()
    app.state.relay.run_due()
    last = sms_lines(settings)[-1]["body"]
    assert last == f"Wang Wei is coming: {stages.order['tracking_url']}"


def test_a_manager_may_neither_read_nor_change_the_messages(city: City, client: TestClient) -> None:
    manager = manager_headers(city)
    assert client.get("/api/v1/message-templates", headers=manager).status_code == 403
    changed = client.put(
        "/api/v1/message-templates/on_the_way/en", json={"body": "hi"}, headers=manager
    )
    assert changed.status_code == 403
    listed = client.get("/api/v1/message-templates", headers=city.admin).json()["items"]
    assert not any(item["edited"] for item in listed)


@pytest.mark.parametrize(
    ("name", "words", "says"),
    [
        ("on_the_way", "Coming ${installer_name} ${eta}", "unknown placeholder(s) eta"),
        ("installer_coming", "${installer_name} is coming", "keep ${code}"),
        ("job_completed", "Costs $5", "write $$ for a dollar sign"),
        ("on_the_way", "x" * 481, "at most 480 characters"),
        ("on_the_way", "line\u0007bell", "control characters"),
    ],
)
def test_words_that_could_not_be_sent_are_refused_naming_why_and_nothing_is_stored(
    city: City, client: TestClient, name: str, words: str, says: str
) -> None:
    refused = client.put(
        f"/api/v1/message-templates/{name}/en", json={"body": words}, headers=city.admin
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body"
    assert says in refused.text
    listed = client.get("/api/v1/message-templates", headers=city.admin).json()["items"]
    assert not any(item["edited"] for item in listed)


def test_an_unknown_message_or_locale_is_refused(city: City, client: TestClient) -> None:
    body = {"body": "hello"}
    unknown = client.put("/api/v1/message-templates/nope/en", json=body, headers=city.admin)
    assert unknown.status_code == 404
    locale = client.put("/api/v1/message-templates/on_the_way/fr", json=body, headers=city.admin)
    assert locale.status_code == 422
    assert locale.json()["errors"][0]["field"] == "locale"


# -- whose phone the customer is given ---------------------------------------------------------


def test_in_office_mode_the_customer_is_given_the_office_number_everywhere(
    settings: Settings, clock: FakeClock
) -> None:
    office_settings = settings.model_copy(
        update={"customer_phone_mode": "office", "office_phone": "+862161234567"}
    )
    with deployment(office_settings, clock) as (app, stages):
        client = stages.client
        stages.accept()
        stages.set_off()
        app.state.relay.run_due()
        token = stages.order["tracking_url"].rsplit("/", 1)[1]
        tracked = client.get(f"/api/v1/track/{token}").json()
    assert tracked["installer"] == {"name": "Wang Wei", "phone": "+862161234567"}
    for line in sms_lines(office_settings):
        assert "+862161234567" in line["body"]
        assert "+8613800138001" not in line["body"]
