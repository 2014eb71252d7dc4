"""The service code appears in the customer's SMS and nowhere else: not in logs, events,
responses or stored rows."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatchd.config import Settings
from dispatchd.store import tables as t
from tests.helpers import IN_CENTRE, City
from tests.photos import jpeg

CODE = "864209"


def test_a_full_run_leaves_the_service_code_only_in_the_sms(
    city: City,
    client: TestClient,
    app: FastAPI,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr("dispatchd.service.service_codes.new_service_code", lambda: CODE)
    caplog.set_level(logging.DEBUG)
    responses: list[str] = []
    zone = city.zone()
    installer = city.installer([zone], at=IN_CENTRE)
    headers = city.as_installer(installer)
    order = city.order()
    for response in (
        client.post(f"/api/v1/offers/{order['current_offer']['id']}/accept", headers=headers),
        client.post(f"/api/v1/orders/{order['id']}/start", headers=headers),
    ):
        responses.append(response.text)
    app.state.relay.run_due()
    wrong = client.post(
        f"/api/v1/orders/{order['id']}/complete",
        files={"photo": ("p.jpg", jpeg(), "image/jpeg")},
        data={"service_code": "111111"},
        headers={**headers, "Idempotency-Key": "wrong-try"},
    )
    right = client.post(
        f"/api/v1/orders/{order['id']}/complete",
        files={"photo": ("p.jpg", jpeg(), "image/jpeg")},
        data={"service_code": CODE},
        headers={**headers, "Idempotency-Key": "right-try"},
    )
    assert wrong.status_code == 422
    assert right.status_code == 200
    assert right.json()["flags"] == []
    responses += [wrong.text, right.text]
    for path in (f"/api/v1/orders/{order['id']}", "/api/v1/orders", "/api/v1/alerts"):
        responses.append(client.get(path, headers=city.admin).text)
    responses.append(client.get(f"/api/v1/track/{order['tracking_url'].rsplit('/', 1)[1]}").text)

    assert CODE in (settings.data_dir / "sms.jsonl").read_text()
    with app.state.dispatcher.reading() as conn:
        stored = {
            table.name: json.dumps(
                [dict(row) for row in conn.execute(select(table)).mappings()], default=str
            )
            for table in (t.events, t.orders, t.offers, t.outbox, t.idempotency_keys, t.alerts)
        }
    captured = capfd.readouterr()
    places = {
        "stdout": captured.out,
        "stderr": captured.err,
        "log records": caplog.text,
        "responses": "\n".join(responses),
        **stored,
    }
    leaks = [name for name, text in places.items() if CODE in text]
    assert leaks == []
