"""End-to-end fixtures: a deployment built over HTTP against a live server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.e2e.server import Api, ServerProcess
from tests.helpers import CENTRE, IN_CENTRE

ONE_SECOND_LADDER = {
    "escalation": [
        {"after_s": 1, "action": "remind"},
        {"after_s": 1, "action": "penalize", "amount": 500},
        {"after_s": 1, "action": "revoke"},
    ],
    "max_auto_attempts": 3,
    "customer_notice": "on_accept",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server process on a fresh data directory; killed at the end of the test."""
    process = ServerProcess(tmp_path / "data")
    process.data_dir.mkdir()
    yield process
    process.kill()


def build_city(api: Api, installers: int = 2) -> dict[str, Any]:
    """A zone with installers on duty near the centre and a 1-second ladder."""
    admin = api.login("admin", ADMIN_PASSWORD)
    api.call("PUT", "/api/v1/policy", admin, ONE_SECOND_LADDER)
    zone = api.call("POST", "/api/v1/zones", admin, {"name": "Centre", "boundary": CENTRE})["id"]
    people = []
    for n in range(installers):
        installer = api.call(
            "POST",
            "/api/v1/installers",
            admin,
            {
                "name": f"Installer {n}",
                "phone": f"+861380013800{n}",
                "zone_ids": [zone],
                "username": f"installer{n}",
                "password": "installer-password",
            },
        )
        headers = api.login(f"installer{n}", "installer-password")
        api.call(
            "POST",
            "/api/v1/me/location",
            headers,
            {"lat": IN_CENTRE["lat"] + 0.01 * n, "lon": IN_CENTRE["lon"]},
        )
        api.call("PUT", "/api/v1/me/duty", headers, {"on_duty": True})
        people.append({"id": installer["id"], "headers": headers})
    return {"admin": admin, "zone": zone, "installers": people}


def new_order(api: Api, admin: dict[str, str]) -> dict[str, Any]:
    """An order in the centre."""
    result: dict[str, Any] = api.call(
        "POST",
        "/api/v1/orders",
        admin,
        {
            "customer": {"name": "Li Lei", "phone": "+8613912345678"},
            "address": "1 Nanjing Road",
            "location": IN_CENTRE,
            "product": "Air conditioner",
        },
    )
    return result
