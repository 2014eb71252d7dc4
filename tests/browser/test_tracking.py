"""The customer's tracking page on a phone: the window on the deployment's clock, the
installer's distance appearing and shrinking without a reload, a request for another time, and
a rating that the console shows at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.city import INSTALLER_PASSWORD, LiveCity, log_in
from tests.browser.conftest import PHONE, SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

# The fake clock starts at 2026-11-25 09:00 UTC (17:00 in Shanghai); the window is the next
# afternoon, 14:00-16:00 on the deployment's clock.
WINDOW = {"window_start": "2026-11-26T06:00:00Z", "window_end": "2026-11-26T08:00:00Z"}
FAR = {"lat": 31.27, "lon": 121.51}
NEAR = {"lat": 31.232, "lon": 121.471}


def _customer_context(browser: Browser, base_url: str, timezone_id: str) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url, locale="en-US", timezone_id=timezone_id, **PHONE
    )
    context.set_default_timeout(5000)
    return context


@pytest.fixture
def customer(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """The customer's phone, in Shanghai like the deployment."""
    context = _customer_context(browser, base_url, "Asia/Shanghai")
    yield context
    context.close()


def _open(context: BrowserContext, path: str) -> Page:
    """The tracking page with the page's timers under the test's hand (no waiting 12 s)."""
    page = context.new_page()
    page.clock.install()
    page.goto(path)
    expect(page.locator("#language-switch")).to_be_visible()
    return page


def _agreed_order(city: LiveCity) -> tuple[dict[str, object], str]:
    city.installer(city.zone(), at=FAR)
    order = city.order()
    installer = city.accept(order)
    response = city.http.put(
        f"/api/v1/orders/{order['id']}/appointment",
        json=WINDOW,
        headers=city.as_installer(installer),
    )
    assert response.status_code == 200, response.text
    return order, installer


def test_the_customer_sees_the_window_in_local_time_and_the_distance_without_a_reload(
    browser: Browser, base_url: str, city: LiveCity, customer: BrowserContext, phone: BrowserContext
) -> None:
    order, installer = _agreed_order(city)
    page = _open(customer, city.tracking_path(order))
    expect(page.locator("#status")).to_have_text("An installer is assigned")
    expect(page.locator("#window")).to_contain_text("14:00–16:00")
    expect(page.locator("#zone-note")).to_contain_text("China Standard Time")
    expect(page.locator(".step.now")).to_contain_text("Time agreed")
    expect(page.locator("#installer-call")).to_have_attribute("href", "tel:+8613800138001")
    expect(page.locator("#distance")).to_be_hidden()
    page.evaluate("window.__sameDocument = true")
    page.screenshot(path=SCREENSHOTS / "track-phone-window.png", full_page=True)

    traveller = _customer_context(browser, base_url, "America/New_York")
    try:
        abroad = _open(traveller, city.tracking_path(order))
        expect(abroad.locator("#window")).to_contain_text("14:00–16:00")
    finally:
        traveller.close()

    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    handset.locator("button.on-the-way").click()
    expect(handset.locator("p.on-the-way")).to_be_visible()

    page.clock.run_for(60_000)
    expect(page.locator("#status")).to_have_text("Your installer is on the way")
    expect(page.locator("#distance")).to_be_visible()
    tracked = city.http.get(f"/api/v1/track/{city.tracking_path(order)[3:]}").json()
    expect(page.locator("#distance-text")).to_have_text(f"{tracked['distance_km']:.1f} km away")
    expect(page.locator("#eta")).to_have_text(f"Arrives in about {tracked['eta_min']} min")
    page.screenshot(path=SCREENSHOTS / "track-phone-on-the-way.png", full_page=True)

    moved = city.http.post("/api/v1/me/location", json=NEAR, headers=city.as_installer(installer))
    assert moved.status_code == 204, moved.text
    page.clock.run_for(12_000)
    expect(page.locator("#distance-text")).to_have_text("200 m away")
    assert page.evaluate("window.__sameDocument") is True


def test_the_customer_asks_for_another_time_and_a_missing_reason_is_named_at_its_field(
    city: LiveCity, customer: BrowserContext, desk: BrowserContext
) -> None:
    order, _ = _agreed_order(city)
    page = _open(customer, city.tracking_path(order))
    page.locator("#reschedule summary").focus()
    page.keyboard.press("Enter")
    page.locator("button.send-reschedule").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#reason-error")).to_have_text("Please tell us why the time should change.")
    expect(page.locator("#reschedule-reason")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reschedule-reason")).to_be_focused()
    page.screenshot(path=SCREENSHOTS / "track-phone-reschedule-error.png", full_page=True)
    page.locator("#reschedule-reason").fill("I have to work late that day")
    page.locator("#reschedule-start").fill("2026-01-05T10:00")
    page.locator("button.send-reschedule").click()
    past = page.locator("#preferred_start-error")
    expect(past).to_have_text("Choose a time in the future.")
    expect(page.locator("#reason-error")).to_be_empty()
    page.locator("#language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.locator("button.send-reschedule").click()
    expect(past).to_have_text("请选择将来的时间。")
    page.screenshot(path=SCREENSHOTS / "track-phone-reschedule-past-zh.png", full_page=True)
    page.locator("#language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#reschedule-start").fill("2026-11-27T18:00")
    page.locator("button.send-reschedule").click()
    expect(page.locator("#reschedule .sent")).to_contain_text("Your installer will call you")
    page.locator("#language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#status")).to_have_text("师傅已接单")
    expect(page.locator("#reschedule .sent")).to_contain_text("师傅会打电话")
    expect(page.locator("#window")).to_contain_text("14:00–16:00")

    query = {"type": "reschedule_requested"}
    alerts = city.http.get("/api/v1/alerts", params=query, headers=city.admin)
    [alert] = alerts.json()["items"]
    assert alert["detail"] == "I have to work late that day (prefers 2026-11-27T10:00:00.000Z)"
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    item = console.locator(".alert-item.type-reschedule_requested")
    expect(item).to_contain_text("Customer asks to move the window")
    expect(item).to_contain_text("Reason: I have to work late that day")
    expect(item).to_contain_text("Prefers")


def test_after_completion_the_customer_rates_once_and_the_console_shows_the_stars(
    city: LiveCity, customer: BrowserContext, desk: BrowserContext
) -> None:
    installer = city.installer(city.zone())
    order = city.order()
    city.start(order, city.accept(order))
    city.complete_without_code(order, installer)
    page = _open(customer, city.tracking_path(order))
    expect(page.locator("#status")).to_have_text("Installation completed")
    steps = page.locator(".step .label").all_text_contents()
    assert [step.split(" (")[0] for step in steps] == [
        "Ordered",
        "Installer assigned",
        "On the way",
        "Installation started",
        "Installation completed",
    ]
    expect(page.locator("form.rating-form")).to_be_visible()
    page.locator("button.send-rating").click()
    expect(page.locator("#stars-error")).to_have_text("Choose from 1 to 5 stars.")
    page.screenshot(path=SCREENSHOTS / "track-phone-rating-error.png", full_page=True)

    page.locator("#star-1").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#star-4")).to_be_checked()
    expect(page.locator(".star-row label.on")).to_have_count(4)
    page.locator("#rating-comment").fill("Quick and tidy")
    page.locator("button.send-rating").click()
    expect(page.locator(".given-stars")).to_contain_text("4 of 5 stars")
    expect(page.locator("form.rating-form")).to_be_hidden()
    page.screenshot(path=SCREENSHOTS / "track-phone-rated.png", full_page=True)
    page.reload()
    expect(page.locator(".given-comment")).to_have_text("Quick and tidy")
    expect(page.locator("form.rating-form")).to_be_hidden()
    token = city.tracking_path(order)[3:]
    again = city.http.post(f"/api/v1/track/{token}/rating", json={"stars": 5})
    assert again.status_code == 409

    unhappy = city.order(product="Water heater JSQ-16")
    city.start(unhappy, city.accept(unhappy))
    city.complete_without_code(unhappy, installer)
    low = city.http.post(
        f"/api/v1/track/{city.tracking_path(unhappy)[3:]}/rating",
        json={"stars": 2, "comment": "Left a mess"},
    )
    assert low.status_code == 201, low.text

    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    expect(console.locator(".alert-item.type-follow_up_required")).to_contain_text(
        ["Customer rated 2 of 5: “Left a mess”"]
    )
    console.goto(f"/console/#/orders/{order['id']}")
    expect(console.locator(".rating .stars-text")).to_have_text("4 of 5 stars")
    expect(console.locator(".rating .glyphs")).to_have_text("★★★★☆")
    expect(console.locator(".rating .comment")).to_have_text("Quick and tidy")
    console.screenshot(path=SCREENSHOTS / "console-order-rated.png", full_page=True)
    console.goto(f"/console/#/installers/{installer}")
    expect(console.locator(f"tr[data-installer-id='{installer}'] .rating")).to_contain_text(
        "★ 3.0 (2)"
    )
    expect(console.locator(".manage-dialog .rating")).to_contain_text("average 3.0 of 5 from 2")
    console.screenshot(path=SCREENSHOTS / "console-installer-rating.png", full_page=True)
