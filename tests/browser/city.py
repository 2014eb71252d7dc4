"""A deployment built over HTTP for browser tests, and the pages' log-in steps."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.conftest import ADMIN_PASSWORD
from tests.helpers import CENTRE, IN_CENTRE

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

    def get_order(self, order_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/v1/orders/{order_id}", headers=self.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def as_installer(self, installer_id: str) -> dict[str, str]:
        return self.installers[installer_id]

    def tracking_path(self, order: dict[str, Any]) -> str:
        return "/t/" + str(order["tracking_url"]).rsplit("/t/", 1)[1]


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
