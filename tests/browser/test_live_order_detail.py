"""The order detail under a stream of events: it changes where its data changed, nowhere else.

A confirmation waiting for its second click, an open box, a typed reason and the scroll
position belong to the dispatcher; events about this order and others go past them.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.city import LiveCity, log_in
from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.browser.test_live_console import orders_streaming
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import EAST, IN_EAST

pytestmark = pytest.mark.browser

# Remembers the element, so the test can ask whether later it is still the very same one.
KEEP = "(element) => { window.__kept = element; }"
SAME = "(element) => window.__kept === element && element.isConnected"


def _three_installers(city: LiveCity) -> tuple[str, str, str]:
    """Wang Wei nearest in the Centre, Zhao Lei further out, Qian Min serving only the East."""
    centre = city.zone()
    wang = city.installer(centre, "Wang Wei", "wang", at={"lat": 31.23, "lon": 121.47})
    zhao = city.installer(centre, "Zhao Lei", "zhao", at={"lat": 31.16, "lon": 121.41})
    qian = city.installer(city.zone("East", EAST), "Qian Min", "qian", at=IN_EAST)
    return wang, zhao, qian


def _decline(city: LiveCity, order: dict[str, Any]) -> str:
    """The installer offered the order turns it down; returns who that was."""
    offer = city.get_order(order["id"])["current_offer"]
    response = city.http.post(
        f"/api/v1/offers/{offer['id']}/decline",
        json={"reason": "van broke down"},
        headers=city.as_installer(offer["installer_id"]),
    )
    assert response.status_code == 200, response.text
    return str(offer["installer_id"])


def _until_made(page: Page, made: list[int], count: int) -> None:
    """Let the stream run until it has made `count` orders (each a burst of events)."""
    for _ in range(150):
        if made[0] >= count:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"only {made[0]} orders streamed in, not {count}")


def _open_detail(page: Page, order: dict[str, Any]) -> None:
    log_in(page, "/console/", "admin", ADMIN_PASSWORD)
    page.goto(f"/console/#/orders/{order['id']}")
    expect(
        page.locator(".candidate-table tbody tr.eligible, .candidate-table tbody tr.ineligible")
    ).to_have_count(3)


def test_an_offer_anyway_waits_for_its_second_click_through_events_about_this_order_and_others(
    city: LiveCity, desk: BrowserContext
) -> None:
    wang, zhao, qian = _three_installers(city)
    order = city.order()
    console = desk.new_page()
    console.set_viewport_size({"width": 1280, "height": 600})
    _open_detail(console, order)
    console.click(".cancel-box summary")
    console.fill("#cancel-reason", "Customer may call back")
    names = console.locator(".candidate-table tbody th[scope=row]")
    expect(names).to_have_text(["Wang Wei", "Zhao Lei", "Qian Min"])

    offer = console.locator(f"button.assign[data-focus-key='assign-{qian}']")
    offer.scroll_into_view_if_needed()
    console.mouse.wheel(0, 120)
    offer.click()
    expect(offer).to_have_attribute("data-confirm", "1")
    expect(offer).to_have_text("Offer anyway")
    note = console.locator(".candidate-table .confirm-note")
    expect(note).to_contain_text("The live offer to Wang Wei is withdrawn")
    expect(note).to_contain_text("The rules would not choose Qian Min")
    offer.evaluate(KEEP)
    scrolled = console.evaluate("window.scrollY")
    assert scrolled > 0, "the page did not scroll; the test would not see a jump"
    console.screenshot(path=SCREENSHOTS / "console-order-offer-anyway-en.png")

    timeline = console.locator(".timeline")
    with orders_streaming(city) as made:
        assert _decline(city, order) == wang
        expect(timeline).to_contain_text("Offered to Zhao Lei (attempt 2)")
        expect(console.locator(f"tr[data-installer-id='{zhao}'] .badge.offered")).to_be_visible()
        assert _decline(city, order) == zhao
        expect(timeline).to_contain_text("Zhao Lei declined")
        _until_made(console, made, 25)
        assert offer.evaluate(SAME), "the confirming button was replaced by an event"
        expect(offer).to_have_attribute("data-confirm", "1")
        expect(offer).to_have_text("Offer anyway")
        expect(names).to_have_text(["Wang Wei", "Zhao Lei", "Qian Min"])
        # Rows above it may grow (a decline's reason), but the waiting button stays on the
        # screen, where the dispatcher can give it its second click.
        expect(offer).to_be_in_viewport()
        expect(console.locator(".cancel-box")).to_have_attribute("open", "")
        expect(console.locator("#cancel-reason")).to_have_value("Customer may call back")
        offer.click()
    expect(timeline).to_contain_text("Offered to Qian Min")
    assert city.get_order(order["id"])["current_offer"]["installer_id"] == qian


def test_a_waiting_offer_anyway_is_dropped_by_escape_or_a_click_elsewhere(
    city: LiveCity, desk: BrowserContext
) -> None:
    _, _, qian = _three_installers(city)
    order = city.order()
    console = desk.new_page()
    _open_detail(console, order)
    offer = console.locator(f"button.assign[data-focus-key='assign-{qian}']")
    offer.click()
    expect(offer).to_have_text("Offer anyway")
    console.keyboard.press("Escape")
    expect(offer).to_have_text("Offer")
    expect(offer).not_to_have_attribute("data-confirm", "1")
    expect(console.locator(".candidate-table .confirm-note")).to_have_count(0)

    offer.click()
    expect(offer).to_have_text("Offer anyway")
    console.click(".facts")
    expect(offer).to_have_text("Offer")
    offer.click()
    expect(offer).to_have_text("Offer anyway")
    assert city.get_order(order["id"])["attempts"] == 1


def test_an_event_about_another_order_leaves_the_open_order_untouched(
    city: LiveCity, desk: BrowserContext
) -> None:
    _three_installers(city)
    order = city.order()
    console = desk.new_page()
    _open_detail(console, order)
    console.evaluate(
        """() => {
          window.__changes = 0;
          const all = {subtree: true, childList: true, attributes: true, characterData: true};
          new MutationObserver((records) => (window.__changes += records.length)).observe(
            document.getElementById("view"), all);
        }"""
    )
    with orders_streaming(city) as made:
        _until_made(console, made, 15)
        console.wait_for_timeout(300)
    assert console.evaluate("window.__changes") == 0


def test_cancelling_a_held_job_names_who_loses_it_and_waits_for_the_second_click(
    city: LiveCity, desk: BrowserContext
) -> None:
    _three_installers(city)
    order = city.order()
    city.accept(order)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.goto(f"/console/#/orders/{order['id']}")
    console.click(".cancel-box summary")
    console.fill("#cancel-reason", "Customer bought elsewhere")
    console.click(".cancel-box button[type=submit]")
    confirm = console.locator(".cancel-confirm")
    expect(confirm).to_contain_text("Wang Wei loses the job: it leaves their phone at once.")
    expect(confirm).to_contain_text("no SMS is sent, so call Li Lei")
    expect(console.locator("button.confirm-cancel")).to_be_focused()
    console.screenshot(path=SCREENSHOTS / "console-cancel-confirm-en.png", full_page=True)
    assert city.get_order(order["id"])["status"] == "accepted"

    console.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    assert city.get_order(order["id"])["status"] == "accepted"

    console.click(".cancel-box button[type=submit]")
    console.click("button.confirm-cancel")
    expect(console.locator(".view-head .badge.big")).to_have_text("Cancelled")
    expect(console.locator(".timeline")).to_contain_text("Cancelled: Customer bought elsewhere")
    assert city.get_order(order["id"])["status"] == "cancelled"


def test_a_chinese_console_says_the_servers_refusal_beside_the_cancel_reason(
    browser: Browser, base_url: str, city: LiveCity
) -> None:
    _, _, qian = _three_installers(city)
    order = city.order()
    context = browser.new_context(base_url=base_url, locale="zh-CN", **DESKTOP)  # type: ignore[arg-type]
    console = context.new_page()
    _open_detail(console, order)
    offer = console.locator(f"button.assign[data-focus-key='assign-{qian}']")
    offer.click()
    expect(offer).to_have_text("仍然派单")
    expect(console.locator(".candidate-table .confirm-note")).to_contain_text(
        "发给 Wang Wei 的派单会被撤回"
    )
    console.screenshot(path=SCREENSHOTS / "console-order-offer-anyway-zh.png", full_page=True)

    context.set_default_timeout(5000)
    console.click(".cancel-box summary")
    expect(console.locator(".cancel-box")).to_have_attribute("open", "")
    console.click(".cancel-box button[type=submit]")
    expect(console.locator(".cancel-confirm")).to_contain_text("发给 Wang Wei 的派单会被撤回")
    console.screenshot(path=SCREENSHOTS / "console-cancel-confirm-zh.png", full_page=True)
    console.click("button.confirm-cancel")
    reason = console.locator("#cancel-reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    beside = console.locator(".cancel-box .field .error")
    expect(beside).to_have_text("至少填写 1 个字符。")
    expect(console.locator("#cancel-error")).to_have_text("请更正标出的字段。")
    assert "String" not in (console.locator(".cancel-box").inner_text())
    console.screenshot(path=SCREENSHOTS / "console-cancel-refused-zh.png", full_page=True)
    assert city.get_order(order["id"])["status"] == "offered"
    context.close()
