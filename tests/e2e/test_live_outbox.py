"""The outbox relay in a live process: a crash after sending never makes a second SMS."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.e2e.conftest import build_city, new_order
from tests.e2e.server import Api, ServerProcess

pytestmark = pytest.mark.e2e


def _sms_lines(server: ServerProcess) -> list[dict[str, object]]:
    path = server.data_dir / "sms.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _status(server: ServerProcess) -> list[tuple[str, int]]:
    with sqlite3.connect(server.data_dir / "dispatchd.sqlite3") as db:
        return db.execute("SELECT status, attempts FROM outbox WHERE channel = 'sms'").fetchall()


def test_a_relay_killed_between_sending_and_recording_delivers_the_sms_once(
    server: ServerProcess,
) -> None:
    server.extra_env["DISPATCHD_OUTBOX_LEASE_S"] = "1"
    server.start(DISPATCHD_CRASH_AT="outbox.after_deliver")
    api = Api(server.base_url)
    city = build_city(api, installers=1)
    installer = city["installers"][0]
    order = new_order(api, city["admin"])
    api.http.post(
        f"/api/v1/offers/{order['current_offer']['id']}/accept", headers=installer["headers"]
    )
    assert server.wait_exit(timeout=15) == -9
    api.close()
    assert len(_sms_lines(server)) == 1
    assert _status(server) == [("pending", 1)]

    server.start()
    deadline = time.monotonic() + 20
    while _status(server) != [("sent", 2)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _status(server) == [("sent", 2)]
    lines = _sms_lines(server)
    assert len(lines) == 1
    assert lines[0]["order_id"] == order["id"]
