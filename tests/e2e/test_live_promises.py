"""Promises after acceptance on a live ``dispatchd serve``: 1-second ladders in real time,
a restart in the middle of a ladder, and a SIGKILL between claiming a step and committing it.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.e2e.conftest import ONE_SECOND_LADDER, build_city, new_order
from tests.e2e.server import Api, ServerProcess, wait_for

pytestmark = pytest.mark.e2e

ONE_SECOND_PROMISES = {
    **ONE_SECOND_LADDER,
    "promises": {
        "appointment": [
            {"after_s": 1, "action": "remind"},
            {"after_s": 1, "action": "alert"},
            {"after_s": 1, "action": "penalize", "amount": 300},
        ],
        "arrival": [{"after_s": 0, "action": "alert"}],
        "completion": [{"after_s": 1, "action": "alert"}],
    },
    "max_window_s": 3600,
}


def _events(api: Api, admin: dict[str, str], order_id: str) -> list[dict[str, Any]]:
    detail = api.call("GET", f"/api/v1/orders/{order_id}", admin)
    return list(detail["events"])


def _names(api: Api, admin: dict[str, str], order_id: str) -> list[str]:
    return [event["event"] for event in _events(api, admin, order_id)]


def _accepted_job(api: Api, policy: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A city with one installer who accepts an order at once, under ``policy``."""
    city = build_city(api, installers=1)
    api.call("PUT", "/api/v1/policy", city["admin"], policy)
    installer = city["installers"][0]
    order = new_order(api, city["admin"])
    api.call("POST", f"/api/v1/offers/{order['current_offer']['id']}/accept", installer["headers"])
    return city, order


def test_an_unappointed_job_is_reminded_breached_and_penalized_by_itself(
    server: ServerProcess,
) -> None:
    server.start()
    api = Api(server.base_url)
    city, order = _accepted_job(api, ONE_SECOND_PROMISES)
    admin, installer = city["admin"], city["installers"][0]
    wait_for(lambda: "promise.penalized" in _names(api, admin, order["id"]))
    events = [e for e in _events(api, admin, order["id"]) if e["event"].startswith("promise.")]
    assert [e["event"] for e in events] == [
        "promise.reminded",
        "promise.breached",
        "promise.penalized",
    ]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    ledger = api.call("GET", f"/api/v1/installers/{installer['id']}/ledger", installer["headers"])
    assert [(e["amount"], e["reason"]) for e in ledger["items"]] == [
        (-300, "late_appointment_penalty")
    ]
    alerts = api.call("GET", "/api/v1/alerts", admin)["items"]
    assert [(a["type"], a["detail"]) for a in alerts if a["order_id"] == order["id"]] == [
        ("promise_breached", "appointment")
    ]
    api.close()


def test_a_window_that_ends_without_a_start_raises_the_arrival_alert(
    server: ServerProcess,
) -> None:
    server.start()
    api = Api(server.base_url)
    quiet_appointment = {**ONE_SECOND_PROMISES}
    quiet_appointment["promises"] = {**ONE_SECOND_PROMISES["promises"], "appointment": []}
    city, order = _accepted_job(api, quiet_appointment)
    admin, installer = city["admin"], city["installers"][0]
    start = datetime.now(UTC) + timedelta(seconds=1)
    api.call(
        "PUT",
        f"/api/v1/orders/{order['id']}/appointment",
        installer["headers"],
        {
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(seconds=1)).isoformat(),
        },
    )
    wait_for(lambda: "promise.breached" in _names(api, admin, order["id"]))
    alerts = api.call("GET", "/api/v1/alerts", admin)["items"]
    assert [a["detail"] for a in alerts if a["type"] == "promise_breached"] == ["arrival"]
    breached = next(e for e in _events(api, admin, order["id"]) if e["event"] == "promise.breached")
    assert breached["at"] >= (start + timedelta(seconds=1)).isoformat()[:19]
    api.close()


def test_nothing_fires_while_suspended_and_the_ladder_goes_on_after_resume(
    server: ServerProcess,
) -> None:
    server.start()
    api = Api(server.base_url)
    slow = {**ONE_SECOND_PROMISES}
    slow["promises"] = {
        **ONE_SECOND_PROMISES["promises"],
        "appointment": [{"after_s": 2, "action": "alert"}],
    }
    city, order = _accepted_job(api, slow)
    admin, installer = city["admin"], city["installers"][0]
    suspended = api.call(
        "POST",
        f"/api/v1/orders/{order['id']}/suspend",
        installer["headers"],
        {"reason": "customer_absent"},
    )
    assert suspended["status"] == "suspended"
    time.sleep(3.5)
    assert not any(name.startswith("promise.") for name in _names(api, admin, order["id"]))
    resumed = api.call("POST", f"/api/v1/orders/{order['id']}/resume", installer["headers"])
    assert resumed["status"] == "accepted"
    wait_for(lambda: "promise.breached" in _names(api, admin, order["id"]))
    names = _names(api, admin, order["id"])
    assert names.index("order.resumed") < names.index("promise.breached")
    api.close()


def test_a_promise_ladder_goes_on_in_order_across_a_restart(server: ServerProcess) -> None:
    server.start()
    api = Api(server.base_url)
    city, order = _accepted_job(api, ONE_SECOND_PROMISES)
    wait_for(lambda: "promise.reminded" in _names(api, city["admin"], order["id"]))
    server.stop()
    api.close()
    time.sleep(2.5)
    server.start()
    api = Api(server.base_url)
    admin = api.login("admin", ADMIN_PASSWORD)
    wait_for(lambda: "promise.penalized" in _names(api, admin, order["id"]))
    names = [n for n in _names(api, admin, order["id"]) if n.startswith("promise.")]
    assert names == ["promise.reminded", "promise.breached", "promise.penalized"]
    api.close()


def test_a_promise_step_claimed_by_a_killed_process_fires_once_after_restart(
    server: ServerProcess,
) -> None:
    server.start()
    api = Api(server.base_url)
    city = build_city(api, installers=1)
    patient_offer = {
        **ONE_SECOND_PROMISES,
        "escalation": [{"after_s": 3600, "action": "revoke"}],
    }
    api.call("PUT", "/api/v1/policy", city["admin"], patient_offer)
    installer = city["installers"][0]
    order = new_order(api, city["admin"])
    server.stop()
    api.close()

    server.start(DISPATCHD_CRASH_AT="deadlines.before_commit")
    api = Api(server.base_url)
    headers = api.login("installer0", "installer-password")
    api.call("POST", f"/api/v1/offers/{order['current_offer']['id']}/accept", headers)
    assert server.wait_exit(timeout=15) == -9
    api.close()
    with sqlite3.connect(server.data_dir / "dispatchd.sqlite3") as db:
        fired = db.execute("SELECT count(*) FROM events WHERE name LIKE 'promise.%'")
        assert fired.fetchone() == (0,)
        pending = db.execute(
            "SELECT step FROM deadlines WHERE kind = 'appointment_step'"
        ).fetchall()
        assert pending == [(0,)]

    server.start()
    api = Api(server.base_url)
    admin = api.login("admin", ADMIN_PASSWORD)
    wait_for(lambda: "promise.penalized" in _names(api, admin, order["id"]))
    names = [n for n in _names(api, admin, order["id"]) if n.startswith("promise.")]
    assert names == ["promise.reminded", "promise.breached", "promise.penalized"]
    headers = api.login("installer0", "installer-password")
    ledger = api.call("GET", f"/api/v1/installers/{installer['id']}/ledger", headers)
    assert [entry["amount"] for entry in ledger["items"]] == [-300]
    api.close()
