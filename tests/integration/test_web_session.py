"""The pages' session: an HttpOnly cookie instead of a bearer header, with CSRF protection."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_PASSWORD
from tests.helpers import City


def _open(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> dict:
    response = client.post(
        "/api/v1/auth/session", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_session_login_sets_an_httponly_strict_cookie_and_a_readable_csrf_cookie(
    client: TestClient,
) -> None:
    response = client.post(
        "/api/v1/auth/session", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies["dispatchd_session"]
    assert "samesite=strict" in cookies["dispatchd_session"]
    assert "httponly" not in cookies["dispatchd_csrf"]
    assert "samesite=strict" in cookies["dispatchd_csrf"]


def test_the_session_cookie_reads_without_a_header_and_says_who_is_logged_in(
    client: TestClient,
) -> None:
    _open(client)
    who = client.get("/api/v1/auth/session")
    assert who.status_code == 200
    assert who.json()["username"] == "admin"
    assert who.json()["role"] == "admin"
    assert "now" in who.json()
    assert client.get("/api/v1/zones").status_code == 200


def test_a_change_made_with_the_cookie_needs_the_csrf_header(
    city: City, client: TestClient
) -> None:
    city.installer([city.zone()], on_duty=False)
    _open(client, "installer1", "installer-password")
    refused = client.put("/api/v1/me/duty", json={"on_duty": True})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    csrf = client.cookies["dispatchd_csrf"]
    allowed = client.put("/api/v1/me/duty", json={"on_duty": True}, headers={"X-CSRF-Token": csrf})
    assert allowed.status_code == 200
    assert allowed.json()["on_duty"] is True


def test_closing_the_session_revokes_the_token_and_clears_the_cookies(client: TestClient) -> None:
    token = _open(client)["access_token"]
    csrf = client.cookies["dispatchd_csrf"]
    closed = client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf})
    assert closed.status_code == 204
    assert all("max-age=0" in c.lower() for c in closed.headers.get_list("set-cookie"))
    assert client.get("/api/v1/auth/session").status_code == 401
    revoked = client.get("/api/v1/zones", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401


def test_session_logins_are_rate_limited_like_token_logins(client: TestClient) -> None:
    statuses = [
        client.post(
            "/api/v1/auth/session", json={"username": "admin", "password": "guess-guess"}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_a_session_login_with_a_malformed_body_is_a_problem_document(client: TestClient) -> None:
    response = client.post("/api/v1/auth/session", json={"username": "admin"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "password"
