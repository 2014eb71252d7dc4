"""The alerts inbox a dispatcher triages all day: grouped and folded, filtered, acknowledged by
selection, closed by the server without a reload, steady under a stream of events."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.city import LiveCity, log_in
from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.browser.test_live_console import orders_streaming
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import IN_EAST

pytestmark = pytest.mark.browser

# Counts the toasts shown at once, at every change of the page, from the first one on.
COUNT_TOASTS = """
window.__mostToasts = 0;
window.__toastsSeen = 0;
new MutationObserver(() => {
  const shown = document.querySelectorAll(".toasts .toast").length;
  window.__mostToasts = Math.max(window.__mostToasts, shown);
}).observe(document, { childList: true, subtree: true });
new MutationObserver((changes) => {
  for (const change of changes) for (const node of change.addedNodes) {
    if (node.classList?.contains("toast")) window.__toastsSeen += 1;
  }
}).observe(document, { childList: true, subtree: true });
"""

# Whether a shown toast lies over any control of the inbox.
TOAST_COVERS_THE_INBOX = """
() => {
  const over = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const boxes = (selector) =>
    [...document.querySelectorAll(selector)].map((el) => el.getBoundingClientRect());
  const inbox = "#alerts button, #alerts input, #alerts select, #alerts a";
  const controls = [...document.querySelectorAll(inbox)]
    .filter((el) => el.checkVisibility())
    .map((el) => el.getBoundingClientRect())
    .filter((box) => box.bottom > 0 && box.top < innerHeight);
  return boxes(".toasts .toast").some((toast) => controls.some((c) => over(toast, c)));
}
"""


def _row(page: Page, order_id: str, alert_type: str = "no_eligible_installer") -> Any:
    return page.locator(f"#alert-list .alert-item.type-{alert_type}[data-order-id='{order_id}']")


def _open_alerts(city: LiveCity) -> list[dict[str, Any]]:
    return list(city.http.get("/api/v1/alerts", headers=city.admin).json()["items"])


def _follow_up_job(city: LiveCity, zone: str) -> dict[str, Any]:
    """An order completed without the service code: a follow_up_required alert."""
    city.installer(zone)
    order = city.order()
    installer = city.accept(order)
    city.start(order, installer)
    city.complete_without_code(order, installer)
    return order


def test_a_dispatcher_acknowledges_several_alerts_at_once_and_the_others_stay(
    city: LiveCity, desk: BrowserContext
) -> None:
    city.zone()
    orders = [city.order(product=f"Heater {n}") for n in range(4)]
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    expect(console.locator("#alert-list .alert-item")).to_have_count(4)
    ack = console.locator("#alert-ack-selected")
    expect(ack).to_be_disabled()
    for order in orders[:3]:
        _row(console, order["id"]).locator("input.alert-check").check()
    expect(ack).to_have_text("Acknowledge selected (3)")
    ack.click()
    expect(console.locator("#alert-list .alert-item")).to_have_count(1)
    expect(_row(console, orders[3]["id"])).to_be_visible()
    expect(ack).to_have_text("Acknowledge selected (0)")
    assert [a["order_id"] for a in _open_alerts(city)] == [orders[3]["id"]]
    closed = city.http.get("/api/v1/alerts?open=false", headers=city.admin).json()["items"]
    acknowledged = {a["order_id"] for a in closed if a["acknowledged_at"] is not None}
    assert acknowledged == {order["id"] for order in orders[:3]}

    console.locator("#alert-select-all").check()
    expect(ack).to_have_text("Acknowledge selected (1)")


def test_a_resolved_follow_up_leaves_the_open_console_without_a_reload(
    city: LiveCity, desk: BrowserContext
) -> None:
    zone = city.zone()
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.evaluate("window.__sameDocument = true")
    order = _follow_up_job(city, zone)
    alert = _row(console, order["id"], "follow_up_required")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("No service code")
    resolved = city.http.post(
        f"/api/v1/orders/{order['id']}/follow-up",
        json={"outcome": "customer confirmed the installation"},
        headers=city.admin,
    )
    assert resolved.status_code == 200, resolved.text
    expect(alert).to_have_count(0)
    expect(console.locator("#alerts-none")).to_be_visible()
    assert console.evaluate("window.__sameDocument") is True, "the console was reloaded"


def test_while_orders_stream_in_a_selection_a_filter_and_the_focus_survive_under_one_toast(
    city: LiveCity, desk: BrowserContext
) -> None:
    centre = city.zone()
    waiting = [city.order(product=f"Boiler {n}") for n in range(3)]
    desk.add_init_script(COUNT_TOASTS)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    expect(console.locator("#alert-list .alert-item")).to_have_count(3)
    console.select_option("#alert-filter-zone", centre)
    _row(console, waiting[0]["id"]).locator("input.alert-check").check()
    search = console.locator("#alert-filter-text")
    search.click()
    with orders_streaming(city) as made:
        search.press_sequentially("boiler", delay=120)
        expect(console.locator("#alert-count")).not_to_have_text("3", timeout=10000)
        console.wait_for_function("() => window.__toastsSeen >= 2", timeout=15000)
        expect(console.locator(".toasts .toast")).to_have_count(1)
        covered = console.evaluate(TOAST_COVERS_THE_INBOX)
        assert made[0] >= 10, "the orders did not stream while the dispatcher worked"
    expect(search).to_be_focused()
    expect(search).to_have_value("boiler")
    expect(console.locator("#alert-filter-zone")).to_have_value(centre)
    expect(console.locator("#alert-list .alert-item")).to_have_count(3)
    expect(_row(console, waiting[0]["id"]).locator("input.alert-check")).to_be_checked()
    expect(console.locator("#alert-ack-selected")).to_have_text("Acknowledge selected (1)")
    assert console.evaluate("window.__mostToasts") == 1, "toasts were stacked"
    assert not covered, "a toast lay over the inbox's controls"
    expect(console.locator(".toasts .toast").last).to_contain_text("new alerts need you")


def test_alerts_about_one_order_fold_into_a_row_that_unfolds_and_stays_unfolded(
    city: LiveCity, desk: BrowserContext
) -> None:
    zone = city.zone()
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    order = _follow_up_job(city, zone)
    _rate(city, order, 1, "Left a mess")
    row = _row(console, order["id"], "follow_up_required")
    expect(row).to_have_attribute("data-count", "2")
    row.locator("button.fold-toggle").click()
    expect(row.locator(".alert-folded-item")).to_have_count(2)
    city.order(product="Dishwasher", location=IN_EAST)
    expect(console.locator("#alert-list .alert-item")).to_have_count(2)
    expect(row.locator("button.fold-toggle")).to_have_attribute("aria-expanded", "true")
    expect(row.locator("button.fold-toggle")).to_be_focused()
    row.locator(".alert-folded-item button.ack").first.click()
    expect(row.locator(".alert-folded-item")).to_have_count(0)
    expect(row).to_have_attribute("data-count", "1")


def _rate(city: LiveCity, order: dict[str, Any], stars: int, comment: str) -> None:
    token = city.tracking_path(order).rsplit("/", 1)[1]
    rated = city.http.post(
        f"/api/v1/track/{token}/rating", json={"stars": stars, "comment": comment}
    )
    assert rated.status_code in (200, 201), rated.text


def _busy_inbox(city: LiveCity) -> None:
    """An inbox of several types, one of its rows two alerts about one order."""
    zone = city.zone()
    order = _follow_up_job(city, zone)
    _rate(city, order, 2, "Late and rude")
    city.order(product="Water heater JSQ-25", address="8 Century Avenue, Pudong", location=IN_EAST)
    city.order(product="Dishwasher SMS-6", address="21 Fuxing Road, Xuhui", location=IN_EAST)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_inbox_reads_well_in_both_languages(
    browser: Browser, base_url: str, city: LiveCity, locale: str
) -> None:
    _busy_inbox(city)
    context = browser.new_context(base_url=base_url, locale=locale, **DESKTOP)  # type: ignore[arg-type]
    console = context.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    rows = console.locator("#alert-list .alert-item")
    expect(rows).to_have_count(3)
    folded = console.locator("#alert-list .alert-item[data-count='2']")
    folded.locator("button.fold-toggle").click()
    folded.locator("input.alert-check").check()
    ack = console.locator("#alert-ack-selected")
    expect(ack).to_have_text("知悉所选（2）" if locale == "zh-CN" else "Acknowledge selected (2)")
    console.select_option("#alert-filter-type", "follow_up_required")
    expect(rows).to_have_count(1)
    console.select_option("#alert-filter-type", "")
    expect(rows).to_have_count(3)
    language = "zh" if locale == "zh-CN" else "en"
    console.locator("#alerts").screenshot(path=SCREENSHOTS / f"console-alerts-{language}.png")
    console.screenshot(path=SCREENSHOTS / f"console-alerts-page-{language}.png")
    context.close()
