"""Builders for the test city: zones, installers and orders over the HTTP API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_PASSWORD

# A square zone around central Shanghai and a neighbour east of it ([lon, lat] positions).
CENTRE = {
    "type": "Polygon",
    "coordinates": [
        [[121.40, 31.15], [121.55, 31.15], [121.55, 31.30], [121.40, 31.30], [121.40, 31.15]]
    ],
}
EAST = {
    "type": "Polygon",
    "coordinates": [
        [[121.55, 31.15], [121.70, 31.15], [121.70, 31.30], [121.55, 31.30], [121.55, 31.15]]
    ],
}
IN_CENTRE = {"lat": 31.23, "lon": 121.47}
IN_EAST = {"lat": 31.23, "lon": 121.62}
NOWHERE = {"lat": 10.0, "lon": 10.0}


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    """Headers carrying a fresh bearer token for the user."""
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class City:
    """A small deployment built over the API: an admin, zones, installers and their logins."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.admin = login(client, "admin", ADMIN_PASSWORD)
        self.installer_headers: dict[str, dict[str, str]] = {}
        self._count = 0

    def zone(self, name: str = "Centre", boundary: dict[str, Any] | None = None) -> str:
        """Create a zone; returns its id."""
        response = self.client.post(
            "/api/v1/zones", json={"name": name, "boundary": boundary or CENTRE}, headers=self.admin
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def installer(
        self,
        zone_ids: list[str],
        at: dict[str, float] | None = None,
        on_duty: bool = True,
        capacity: int = 3,
        skills: list[str] | None = None,
        name: str | None = None,
    ) -> str:
        """Register an installer, log them in, and optionally put them on duty at a place."""
        self._count += 1
        username = f"installer{self._count}"
        response = self.client.post(
            "/api/v1/installers",
            json={
                "name": name or f"Installer {self._count}",
                "phone": f"+86138001380{self._count:02d}",
                "zone_ids": zone_ids,
                "capacity": capacity,
                "skills": skills or [],
                "username": username,
                "password": "installer-password",
            },
            headers=self.admin,
        )
        assert response.status_code == 201, response.text
        installer_id = str(response.json()["id"])
        headers = login(self.client, username, "installer-password")
        self.installer_headers[installer_id] = headers
        if at is not None:
            moved = self.client.post("/api/v1/me/location", json=at, headers=headers)
            assert moved.status_code == 204, moved.text
        if on_duty:
            duty = self.client.put("/api/v1/me/duty", json={"on_duty": True}, headers=headers)
            assert duty.status_code == 200, duty.text
        return installer_id

    def order(self, at: dict[str, float] | None = None, **extra: Any) -> dict[str, Any]:
        """Create an order (dispatched at once); returns the response body."""
        body = {
            "customer": {"name": "Li Lei", "phone": "+8613912345678"},
            "address": "1 Nanjing Road",
            "location": at or IN_CENTRE,
            "product": "Air conditioner KFR-35",
            **extra,
        }
        response = self.client.post("/api/v1/orders", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def as_installer(self, installer_id: str) -> dict[str, str]:
        """That installer's auth headers."""
        return self.installer_headers[installer_id]
