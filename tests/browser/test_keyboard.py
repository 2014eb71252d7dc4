"""The two main flows done with the keyboard alone: no mouse, no clicks, only keys.

Each control on the way must be reachable with Tab, show where the focus is, and work with
Enter or Space; after an action the focus must land where the next step is, not at the top.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, Page, expect

from dispatchd.config import Settings
from tests.browser.city import INSTALLER_PASSWORD, LiveCity, service_code
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_proof_of_work import _photo, _sms_file
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""


def tab_to(page: Page, selector: str, most: int = 60, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focus is on selector, which must show a focus ring."""
    for _ in range(most):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            assert page.evaluate(FOCUS_SHOWN), f"{selector} has focus but shows no focus ring"
            return
    raise AssertionError(f"{most} presses of Tab never reached {selector}")


def log_in_by_keyboard(page: Page, path: str, username: str, password: str) -> None:
    page.goto(path)
    expect(page.locator("#login-username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_selector("#conn.live")


def test_a_dispatcher_creates_an_order_and_offers_it_to_an_installer_by_keyboard_alone(
    city: LiveCity, desk: BrowserContext
) -> None:
    centre = city.zone()
    city.installer(centre, "Wang Wei", "wang", at={"lat": 31.23, "lon": 121.47})
    zhao = city.installer(centre, "Zhao Lei", "zhao", at={"lat": 31.16, "lon": 121.41})
    page = desk.new_page()
    log_in_by_keyboard(page, "/console/", "admin", ADMIN_PASSWORD)
    expect(page.locator("#view")).to_be_focused()

    tab_to(page, "button.new-order")
    page.keyboard.press("Enter")
    expect(page.locator("#no-customer-name")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#new-order-submit")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#no-customer-name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#new-order")).to_be_hidden()
    expect(page.locator("button.new-order")).to_be_focused()

    page.keyboard.press("Enter")
    for text in ("Han Meimei", "13912345679", "88 Middle Huaihai Road", "Water heater JSQ-16"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#new-order")).to_be_hidden()
    card = page.locator(".col-offered .order-card", has_text="Water heater JSQ-16")
    expect(card).to_contain_text("Wang Wei")
    expect(page.locator("button.new-order")).to_be_focused()

    tab_to(page, ".col-offered .order-card")
    page.keyboard.press("Enter")
    expect(page.locator(".view-head h1")).to_have_text("Water heater JSQ-16")
    tab_to(page, f"button.assign[data-focus-key='assign-{zhao}']")
    page.screenshot(path=SCREENSHOTS / "keyboard-console-assign.png")
    page.keyboard.press("Space")
    offer = page.locator(f"button.assign[data-focus-key='assign-{zhao}']")
    expect(offer).to_have_text("Withdraw and offer")
    expect(offer).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(".timeline")).to_contain_text("Offered to Zhao Lei (attempt 2)")
    expect(page.locator("#assign-title")).to_be_focused()
    order_id = page.evaluate("location.hash").rsplit("/", 1)[1]
    assert city.get_order(order_id)["current_offer"]["installer_id"] == zhao


def test_an_installer_accepts_starts_and_completes_a_job_by_keyboard_alone(
    app: FastAPI,
    settings: Settings,
    city: LiveCity,
    phone: BrowserContext,
    tmp_path: Path,
) -> None:
    city.installer(city.zone())
    page = phone.new_page()
    log_in_by_keyboard(page, "/app/", "wang", INSTALLER_PASSWORD)
    order = city.order()
    expect(page.locator(".offer-card")).to_have_count(1)

    tab_to(page, ".offer-card button.accept")
    page.keyboard.press("Enter")
    job = page.locator(".job-card")
    expect(job.locator("button.start")).to_be_focused()
    page.keyboard.press("Space")
    expect(job.locator("button.open-complete")).to_be_focused()
    page.keyboard.press("Enter")
    photo = job.locator("input[type=file]")
    expect(photo).to_be_focused()
    photo.set_input_files(_photo(tmp_path))
    expect(job.locator("img.preview")).to_be_visible()

    app.state.relay.run_due()
    page.keyboard.press("Tab")
    expect(job.locator("input[name=service_code]")).to_be_focused()
    page.keyboard.type(service_code(_sms_file(settings), order["id"]))
    page.keyboard.press("Tab")
    page.keyboard.type("Installed and tested with the customer.")
    tab_to(page, "button.send-completion")
    page.screenshot(path=SCREENSHOTS / "keyboard-phone-complete.png")
    page.keyboard.press("Enter")
    expect(page.locator(".job-card")).to_have_count(0)
    expect(page.locator("#jobs-title")).to_be_focused()
    assert city.get_order(order["id"])["status"] == "completed"
