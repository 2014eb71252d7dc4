"""A live ``dispatchd serve`` process: the whole ladder in real time, restarts and SIGKILL.

This is the one place where real time is allowed: ladders use 1-second periods.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest

from tests.e2e.conftest import build_city, new_order
from tests.e2e.server import Api, ServerProcess, wait_for

pytestmark = pytest.mark.e2e


def _first_times(detail: dict[str, Any]) -> dict[str, str]:
    times: dict[str, str] = {}
    for event in detail["events"]:
        times.setdefault(event["event"], event["at"])
    return times


def _events(api: Api, admin: dict[str, str], order_id: str) -> list[str]:
    detail = api.call("GET", f"/api/v1/orders/{order_id}", admin)
    return [event["event"] for event in detail["events"]]


def test_the_whole_ladder_runs_by_itself_in_real_time(server: ServerProcess) -> None:
    server.start()
    api = Api(server.base_url)
    city = build_city(api)
    first, second = city["installers"]
    order = new_order(api, city["admin"])
    assert order["current_offer"]["installer_id"] == first["id"]

    wait_for(lambda: "offer.revoked" in _events(api, city["admin"], order["id"]))
    detail = api.call("GET", f"/api/v1/orders/{order['id']}", city["admin"])
    assert [e["event"] for e in detail["events"]][:5] == [
        "order.created",
        "offer.sent",
        "offer.reminded",
        "offer.penalized",
        "offer.revoked",
    ]
    times = _first_times(detail)
    assert times["offer.sent"] < times["offer.reminded"] < times["offer.penalized"]
    assert detail["current_offer"]["installer_id"] == second["id"]
    ledger = api.call("GET", f"/api/v1/installers/{first['id']}/ledger", first["headers"])
    assert ledger["balance"] == -500
    alerts = api.call("GET", "/api/v1/alerts?open=false", city["admin"])["items"]
    revoked = [a for a in alerts if a["type"] == "offer_revoked"]
    assert len(revoked) == 1
    assert revoked[0]["acknowledged_at"] is not None, "offering the order again settles it"
    accepted = api.call(
        "POST", f"/api/v1/offers/{detail['current_offer']['id']}/accept", second["headers"]
    )
    assert accepted["status"] == "accepted"
    api.close()


def test_steps_fire_in_order_across_a_restart_on_the_same_data_dir(
    server: ServerProcess,
) -> None:
    server.start()
    api = Api(server.base_url)
    city = build_city(api, installers=1)
    order = new_order(api, city["admin"])
    wait_for(lambda: "offer.reminded" in _events(api, city["admin"], order["id"]))
    server.stop()
    api.close()
    time.sleep(2.5)
    server.start()
    api = Api(server.base_url)
    admin = api.login("admin", "admin-password-for-tests")
    wait_for(lambda: "offer.revoked" in _events(api, admin, order["id"]))
    names = _events(api, admin, order["id"])
    assert names[:5] == [
        "order.created",
        "offer.sent",
        "offer.reminded",
        "offer.penalized",
        "offer.revoked",
    ]
    assert names.count("offer.penalized") == 1
    detail = api.call("GET", f"/api/v1/orders/{order['id']}", admin)
    times = _first_times(detail)
    assert times["offer.reminded"] < times["offer.penalized"] < times["offer.revoked"]
    api.close()


def test_a_process_killed_between_claiming_and_committing_leaves_the_step_to_fire_once(
    server: ServerProcess,
) -> None:
    server.start(DISPATCHD_CRASH_AT="deadlines.before_commit")
    api = Api(server.base_url)
    city = build_city(api, installers=1)
    installer = city["installers"][0]
    order = new_order(api, city["admin"])
    assert server.wait_exit(timeout=15) == -9
    api.close()
    with sqlite3.connect(server.data_dir / "dispatchd.sqlite3") as db:
        reminded = db.execute("SELECT count(*) FROM events WHERE name = 'offer.reminded'")
        assert reminded.fetchone() == (0,)
        pending = db.execute("SELECT step FROM deadlines WHERE kind = 'offer_step'").fetchall()
        assert pending == [(0,)]

    server.start()
    api = Api(server.base_url)
    admin = api.login("admin", "admin-password-for-tests")
    wait_for(lambda: "offer.revoked" in _events(api, admin, order["id"]))
    names = _events(api, admin, order["id"])
    assert names.count("offer.reminded") == 1
    assert names.count("offer.penalized") == 1
    assert names.count("offer.revoked") == 1
    headers = api.login("installer0", "installer-password")
    ledger = api.call("GET", f"/api/v1/installers/{installer['id']}/ledger", headers)
    assert [entry["amount"] for entry in ledger["items"]] == [-500]
    api.close()
