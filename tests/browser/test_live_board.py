"""The live board a dispatcher keeps open all day: cards stay put, filters stay in the address."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.browser import axe
from tests.browser.city import LiveCity, log_in
from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.browser.test_live_console import orders_streaming
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import EAST, IN_CENTRE, IN_EAST

pytestmark = pytest.mark.browser


def _board(page: Page) -> None:
    log_in(page, "/console/", "admin", ADMIN_PASSWORD)
    expect(page.locator(".board")).to_be_visible()


def _card(page: Page, order: dict[str, Any], column: str = "pending") -> Any:
    return page.locator(f".col-{column} .order-card[data-order-id='{order['id']}']")


def _tell_the_time(city: LiveCity) -> None:
    """An event carries the server's (fake) time to the page: an order nobody can take."""
    city.order(product="Clock tick", location={"lat": 31.5, "lon": 120.5})


def test_a_card_pointed_at_while_orders_stream_in_is_the_card_opened(
    city: LiveCity, desk: BrowserContext
) -> None:
    city.zone()
    orders = [city.order(product=f"Range hood {n}") for n in range(4)]
    target = orders[1]
    console = desk.new_page()
    _board(console)
    card = _card(console, target)
    expect(console.locator(".col-pending .order-card")).to_have_count(4)
    card.hover()
    before = card.bounding_box()
    assert before is not None
    chip = console.locator(".col-pending .new-chip")
    with orders_streaming(city) as made:
        expect(chip).to_have_text(re.compile(r"^([5-9]|\d\d+) new$"), timeout=20000)
        assert made[0] >= 5
        assert card.bounding_box() == before, "the card moved under the pointer"
        # The dispatcher clicks where they read it, as a person does, not where it went.
        console.mouse.click(before["x"] + 10, before["y"] + 10)
    expect(console).to_have_url(re.compile(f"#/orders/{target['id']}$"))
    expect(console.locator("#view h1")).to_contain_text("Range hood 1")


def test_the_new_chip_shows_the_orders_held_back_while_the_pointer_was_on_the_board(
    city: LiveCity, desk: BrowserContext
) -> None:
    city.zone()
    first = city.order(product="Dishwasher WQP8")
    console = desk.new_page()
    _board(console)
    _card(console, first).hover()
    chip = console.locator(".col-pending .new-chip")
    with orders_streaming(city) as made:
        expect(chip).to_have_text(re.compile(r"^([3-9]|\d\d+) new$"), timeout=20000)
    expect(console.locator(".col-pending .order-card")).to_have_count(1)
    total = made[0] + 1
    expect(console.locator(".col-pending h2 .count")).to_have_text(str(total))
    expect(chip).to_have_text(f"{made[0]} new")
    chip.click()
    expect(console.locator(".col-pending .order-card")).to_have_count(total)
    expect(chip).to_be_hidden()
    expect(console.locator(".col-pending .order-card", has_text="Dishwasher WQP8")).to_have_count(1)


def test_the_board_keeps_its_zone_and_text_filters_in_the_address_across_a_reload(
    city: LiveCity, desk: BrowserContext
) -> None:
    city.zone()
    city.zone("East", EAST)
    city.order(product="Water heater centre")
    east_heater = city.order(product="Water heater east", location=IN_EAST)
    city.order(product="Dishwasher east", location=IN_EAST)
    console = desk.new_page()
    _board(console)
    expect(console.locator(".board .order-card")).to_have_count(3)
    console.select_option("#board-zone", label="East")
    expect(console.locator(".board .order-card")).to_have_count(2)
    console.fill("#board-search", "heater")
    expect(console.locator(".board .order-card")).to_have_count(1)
    expect(console).to_have_url(re.compile(r"#/board\?zone=[^&]+&q=heater$"))

    console.reload()
    console.wait_for_selector("#conn.live")
    cards = console.locator(".board .order-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-order-id", east_heater["id"])
    expect(console.locator("#board-search")).to_have_value("heater")
    expect(console.locator("#board-zone option:checked")).to_have_text("East")
    # Into the order and back through the navigation: the board is still filtered.
    cards.first.click()
    expect(console.locator("#view h1")).to_have_text("Water heater east")
    console.click("nav a[data-route=board]")
    expect(cards).to_have_count(1)
    expect(console.locator("#board-search")).to_have_value("heater")

    console.click("button.clear-filters")
    expect(console.locator(".board .order-card")).to_have_count(3)
    expect(console).to_have_url(re.compile(r"#/board$"))


def test_a_flag_filter_shows_only_the_flagged_orders(city: LiveCity, desk: BrowserContext) -> None:
    centre = city.zone()
    wang = city.installer(centre)
    flagged = city.order(product="Water heater JSQ-16")
    city.start(flagged, city.accept(flagged))
    city.complete_without_code(flagged, wang)
    city.order(product="Dishwasher WQP8")
    outside = city.order(product="Range hood far away", location={"lat": 31.5, "lon": 120.5})
    console = desk.new_page()
    _board(console)
    expect(console.locator(".board .order-card")).to_have_count(3)
    console.select_option("#board-flag", "missing_service_code")
    cards = console.locator(".board .order-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-order-id", flagged["id"])
    expect(console).to_have_url(re.compile(r"#/board\?flag=missing_service_code$"))
    console.select_option("#board-flag", "outside_zones")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-order-id", outside["id"])


def test_a_cancelled_order_waits_in_a_collapsed_column_and_every_card_shows_its_age(
    city: LiveCity, desk: BrowserContext, clock: FakeClock
) -> None:
    city.zone()
    gone = city.order(product="Cancelled dishwasher")
    response = city.http.post(
        f"/api/v1/orders/{gone['id']}/cancel",
        json={"reason": "Bought elsewhere"},
        headers=city.admin,
    )
    assert response.status_code == 200, response.text
    waiting = city.order(product="Water heater JSQ-16")
    console = desk.new_page()
    _board(console)
    column = console.locator(".col-cancelled details")
    expect(column).not_to_have_attribute("open", "")
    expect(console.locator(".col-cancelled h2 .count")).to_have_text("1")
    cancelled_card = _card(console, gone, "cancelled")
    expect(cancelled_card).to_be_hidden()
    console.click(".col-cancelled summary")
    expect(cancelled_card).to_be_visible()
    expect(cancelled_card.locator(".age")).to_have_text("< 1 min")

    age = _card(console, waiting).locator(".age")
    expect(age).to_have_text("< 1 min")
    clock.advance(2 * 3600 + 5 * 60 + 10)
    _tell_the_time(city)
    expect(age).to_have_text("2 h 5 min")
    # A cancelled job's age stopped when it was cancelled, and its box stays open.
    expect(cancelled_card.locator(".age")).to_have_text("< 1 min")
    expect(column).to_have_attribute("open", "")


def test_a_countdown_is_coloured_by_the_share_of_its_steps_period_left(
    city: LiveCity, desk: BrowserContext, clock: FakeClock, engine: DeadlineEngine
) -> None:
    city.installer(city.zone())
    order = city.order()
    console = desk.new_page()
    _board(console)
    countdown = _card(console, order, "offered").locator(".next")
    # The default ladder reminds after 300 s: 100 s left is a third of the period.
    expect(countdown).to_have_class(re.compile(r"\bcalm\b"))
    clock.advance(200)
    _tell_the_time(city)
    expect(countdown).to_have_class(re.compile(r"\bwarn\b"))
    expect(countdown).to_contain_text("reminder in 1:")
    clock.advance(50)
    _tell_the_time(city)
    expect(countdown).to_have_class(re.compile(r"\burgent\b"))
    # After the reminder a new period starts: 300 s until the penalty.
    clock.advance(60)
    engine.run_due()
    expect(countdown).to_contain_text("penalty in")
    expect(countdown).to_have_class(re.compile(r"\bcalm\b"))
    offer = city.get_order(order["id"])["current_offer"]
    assert offer["step_started_at"] is not None
    assert offer["next_step_at"] > offer["step_started_at"]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_board_with_filters_a_new_chip_and_the_cancelled_column_open_passes_the_audit(
    browser: Browser, base_url: str, city: LiveCity, locale: str
) -> None:
    centre = city.zone()
    city.zone("East", EAST)
    city.installer(centre)
    for product in ["Air conditioner KFR-35", "Water heater JSQ-16", "Dishwasher WQP8"]:
        city.order(product=product, location=IN_CENTRE)
    gone = city.order(product="Range hood CXW-200", location=IN_EAST)
    city.http.post(
        f"/api/v1/orders/{gone['id']}/cancel", json={"reason": "Moved away"}, headers=city.admin
    ).raise_for_status()
    first = city.order(product="Washing machine XQG100", location=IN_EAST)
    context = browser.new_context(base_url=base_url, locale=locale, **DESKTOP)  # type: ignore[arg-type]
    axe.prepare(context)
    try:
        console = context.new_page()
        _board(console)
        console.select_option("#board-zone", index=2)
        console.click(".col-cancelled summary")
        _card(console, first).hover()
        for n in range(3):
            city.order(product=f"Water heater JSQ-2{n}", location=IN_EAST)
        expect(console.locator(".col-pending .new-chip")).to_have_text(
            "3 new" if locale == "en-US" else "3 条新工单"
        )
        console.screenshot(path=SCREENSHOTS / f"live-board-{locale}.png", full_page=True)
        audit = axe.Audit(locale)
        audit.run(console, "live board", "desktop")
        assert not audit.failures(), "\n".join(audit.failures())
    finally:
        context.close()
