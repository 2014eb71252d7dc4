"""A deployment built over HTTP for browser tests, and the pages' log-in steps."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.conftest import ADMIN_PASSWORD
from tests.helpers import CENTRE, EAST, IN_CENTRE, IN_EAST
from tests.photos import jpeg

INSTALLER_PASSWORD = "installer-password"


class LiveCity:
    """Zones, installers and orders made through the API of a live server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.admin = self.login("admin", ADMIN_PASSWORD)
        self.count = 0
        self.installers: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        self.http.close()

    def login(self, username: str, password: str) -> dict[str, str]:
        response = self.http.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def zone(self, name: str = "Centre", boundary: dict[str, Any] | None = None) -> str:
        response = self.http.post(
            "/api/v1/zones", json={"name": name, "boundary": boundary or CENTRE}, headers=self.admin
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def installer(
        self,
        zone_id: str,
        name: str = "Wang Wei",
        username: str = "wang",
        at: dict[str, float] | None = None,
        on_duty: bool = True,
    ) -> str:
        self.count += 1
        response = self.http.post(
            "/api/v1/installers",
            json={
                "name": name,
                "phone": f"+86138001380{self.count:02d}",
                "zone_ids": [zone_id],
                "username": username,
                "password": INSTALLER_PASSWORD,
            },
            headers=self.admin,
        )
        assert response.status_code == 201, response.text
        installer_id = str(response.json()["id"])
        headers = self.login(username, INSTALLER_PASSWORD)
        self.installers[installer_id] = headers
        self.http.post("/api/v1/me/location", json=at or IN_CENTRE, headers=headers)
        if on_duty:
            self.http.put("/api/v1/me/duty", json={"on_duty": True}, headers=headers)
        return installer_id

    def order(self, **extra: Any) -> dict[str, Any]:
        body = {
            "customer": {"name": "Li Lei", "phone": "+8613912345678"},
            "address": "1 Nanjing Road, Huangpu",
            "location": IN_CENTRE,
            "product": "Air conditioner KFR-35",
            "notes": "3rd floor, no lift",
            **extra,
        }
        response = self.http.post("/api/v1/orders", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def accept(self, order: dict[str, Any]) -> str:
        """The installer holding the order's offer accepts it; returns their id."""
        offer = self.get_order(order["id"])["current_offer"]
        headers = self.as_installer(offer["installer_id"])
        response = self.http.post(f"/api/v1/offers/{offer['id']}/accept", headers=headers)
        assert response.status_code == 200, response.text
        return str(offer["installer_id"])

    def start(self, order: dict[str, Any], installer_id: str) -> None:
        path = f"/api/v1/orders/{order['id']}/start"
        response = self.http.post(path, headers=self.as_installer(installer_id))
        assert response.status_code == 200, response.text

    def complete_without_code(self, order: dict[str, Any], installer_id: str) -> None:
        """A completion with a photo and no service code: flagged for a follow-up call."""
        response = self.http.post(
            f"/api/v1/orders/{order['id']}/complete",
            files={"photo": ("work.jpg", jpeg(640, 480, (90, 140, 200)), "image/jpeg")},
            headers=self.as_installer(installer_id),
        )
        assert response.status_code == 200, response.text

    def get_order(self, order_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/v1/orders/{order_id}", headers=self.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def as_installer(self, installer_id: str) -> dict[str, str]:
        return self.installers[installer_id]

    def tracking_path(self, order: dict[str, Any]) -> str:
        return "/t/" + str(order["tracking_url"]).rsplit("/t/", 1)[1]


class EveryState:
    """Orders in every column of the board and every kind of alert, for a whole-client audit.

    Wang Wei (Centre) completed a job without the code, has one in progress, one accepted and
    an offer that reached its penalty; Qian Min (East) let an offer be revoked, so that order
    waits for a dispatcher; Zhao Lei is off duty. The accepted job lies where the Centre's
    name would go on the map. Moving the clock is the caller's: ``escalate``
    is called with the seconds to move and runs the engine after each step.
    """

    def __init__(self, city: LiveCity, escalate: Callable[[int], None]) -> None:
        centre = city.zone("Centre")
        east = city.zone("East", EAST)
        self.wang = city.installer(centre, "Wang Wei", "wang", at={"lat": 31.22, "lon": 121.46})
        self.zhao = city.installer(
            centre, "Zhao Lei", "zhao", at={"lat": 31.18, "lon": 121.43}, on_duty=False
        )
        self.qian = city.installer(east, "Qian Min", "qian", at={"lat": 31.2, "lon": 121.6})
        self.completed = city.order(
            product="Water heater JSQ-16", address="12 Middle Huaihai Road", location=IN_CENTRE
        )
        city.start(self.completed, city.accept(self.completed))
        city.complete_without_code(self.completed, self.wang)
        self.in_progress = city.order(
            product="Dishwasher WQP8",
            address="301 Xizang Road, 5th floor",
            location={"lat": 31.25, "lon": 121.44},
        )
        city.start(self.in_progress, city.accept(self.in_progress))
        self.accepted = city.order(
            product="Range hood CXW-200",
            address="8 Fuxing Road",
            location={"lat": 31.295, "lon": 121.475},
        )
        city.accept(self.accepted)
        self.waiting = city.order(
            product="Washing machine XQG100", address="66 Century Avenue", location=IN_EAST
        )
        for _ in range(2):
            escalate(300)
        self.offered = city.order(
            product="Air conditioner KFR-35",
            address="1 Nanjing Road, Huangpu",
            location={"lat": 31.27, "lon": 121.52},
        )
        for _ in range(2):
            escalate(300)


def service_code(sms_file: Path, order_id: str) -> str:
    """The code the customer got by SMS (what they tell the installer at the door)."""
    for line in reversed(sms_file.read_text().splitlines()):
        message = json.loads(line)
        if message["order_id"] == order_id:
            found = re.search(r"(?:服务码：|Service code: )(\d+)", message["body"])
            assert found, message["body"]
            return found.group(1)
    raise AssertionError(f"no SMS for order {order_id}")


def log_in(page: Page, path: str, username: str, password: str) -> None:
    """Open a client and log in through its form."""
    page.goto(path)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app-view:not([hidden])")
    page.wait_for_selector("#conn.live")


def vibrations(page: Page) -> list[Any]:
    """Every pattern the page asked the phone to vibrate with."""
    return list(page.evaluate("window.__vibrations"))
