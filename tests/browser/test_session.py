"""Logging in and out works the same in both clients (one shared session module)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.city import INSTALLER_PASSWORD, LiveCity, log_in
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

CLIENTS = {
    "console": ("/console/", "admin", ADMIN_PASSWORD),
    "installer app": ("/app/", "wang", INSTALLER_PASSWORD),
}


def _try_log_in(page: Page, path: str, username: str, password: str) -> None:
    page.goto(path)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")


@pytest.mark.parametrize("client", list(CLIENTS))
def test_a_session_survives_a_reload_ends_on_log_out_and_on_the_servers_word(
    city: LiveCity, desk: BrowserContext, client: str
) -> None:
    city.installer(city.zone())
    path, username, password = CLIENTS[client]
    page = desk.new_page()
    log_in(page, path, username, password)
    expect(page.locator("#login-password")).to_have_value("")

    page.reload()
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.locator("#login-view")).to_be_hidden()

    page.click("#logout")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.locator("#login-username")).to_be_focused()
    page.reload()
    expect(page.locator("#login-view")).to_be_visible()

    log_in(page, path, username, password)
    desk.clear_cookies()
    # Any 401 answer to the client's own requests means the session is gone.
    page.evaluate("import('/web/api.js').then((api) => api.get('auth/session')).catch(() => {})")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#conn")).to_be_hidden()


def test_each_client_turns_away_the_other_clients_users_and_logs_them_out(
    city: LiveCity, desk: BrowserContext
) -> None:
    city.installer(city.zone())
    page = desk.new_page()
    _try_log_in(page, "/console/", "wang", INSTALLER_PASSWORD)
    expect(page.locator("#login-error")).to_have_text("This account cannot use the console.")
    assert page.evaluate("fetch('/api/v1/auth/session').then((r) => r.status)") == 401
    expect(page.locator("#login-form button[type=submit]")).to_have_text("Log in")

    _try_log_in(page, "/app/", "admin", ADMIN_PASSWORD)
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    assert page.evaluate("fetch('/api/v1/auth/session').then((r) => r.status)") == 401
    expect(page.locator("#app-view")).to_be_hidden()
