"""After the acceptance: the window agreed on the phone, the promises watched in the console, a
job taken from one installer for another, and the promise ladders edited on the policy page."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, Page, expect

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.browser.city import INSTALLER_PASSWORD, LiveCity, log_in, vibrations
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def _local_hour(page: Page, iso: str) -> int:
    """The hour of a moment on the page's clock (the browser's time zone)."""
    return int(page.evaluate("(iso) => new Date(iso).getHours()", iso))


def _agree_tomorrow(handset: Page, block: int) -> dict[str, str]:
    """Open the job's picker, choose tomorrow and the nth block; returns the block's times."""
    job = handset.locator(".job-card")
    job.locator("button.open-window").click()
    job.locator("label.choice", has_text="Tomorrow").click()
    choice = job.locator(".slots label.slot").nth(block)
    choice.click()
    start = choice.locator("input").get_attribute("value")
    assert start is not None
    return {"start": start}


def test_an_installer_agrees_a_window_on_the_phone_and_the_console_shows_it_live(
    city: LiveCity, phone: BrowserContext, desk: BrowserContext
) -> None:
    installer = city.installer(city.zone())
    other = city.order(product="Water heater JSQ-16", address="12 Middle Huaihai Road")
    city.accept(other)
    order = city.order()
    city.accept(order)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.goto(f"/console/#/orders/{order['id']}")
    expect(console.locator(".promise.kind-appointment")).to_contain_text("Agree a window")

    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    cards = handset.locator(".job-card")
    expect(cards).to_have_count(2)
    expect(cards.locator(".needs-window")).to_have_count(2)
    first = handset.locator(".job-card", has_text="Water heater JSQ-16")
    first.locator("button.open-window").click()
    first.locator("label.choice", has_text="Tomorrow").click()
    first.locator(".slots label.slot").nth(1).click()
    first.locator("button.save-window").click()
    expect(first.locator(".window")).to_contain_text("10:00")
    handset.screenshot(path=SCREENSHOTS / "phone-window-set.png", full_page=True)

    job = handset.locator(".job-card", has_text="Air conditioner KFR-35")
    expect(job.locator(".needs-window")).to_be_visible()
    job.locator("button.open-window").click()
    job.locator("label.choice", has_text="Tomorrow").click()
    blocks = job.locator(".slots label.slot")
    expect(blocks.nth(1)).to_have_class("slot clash")
    expect(blocks.nth(1)).to_contain_text("overlaps Water heater JSQ-16")
    expect(job.locator(".other-appointments")).to_contain_text("Water heater JSQ-16")
    blocks.nth(2).click()
    handset.screenshot(path=SCREENSHOTS / "phone-window-picker.png", full_page=True)
    job.locator("button.save-window").click()
    expect(job.locator(".window")).to_contain_text("12:00")

    expect(console.locator(".appointment")).to_contain_text("12:00")
    expect(console.locator(".timeline")).to_contain_text("Window agreed")
    expect(console.locator(".promise.kind-appointment")).to_contain_text("Kept")
    expect(console.locator(".promise.kind-arrival .next")).to_be_visible()
    console.screenshot(path=SCREENSHOTS / "console-order-window.png", full_page=True)
    detail = city.get_order(order["id"])
    assert detail["installer_id"] == installer
    start = datetime.fromisoformat(detail["appointment"]["window_start"])
    end = datetime.fromisoformat(detail["appointment"]["window_end"])
    assert (end - start).total_seconds() == 7200
    assert _local_hour(handset, detail["appointment"]["window_start"]) == 12

    ordered = handset.locator(".job-card h3").all_text_contents()
    assert ordered == ["Water heater JSQ-16", "Air conditioner KFR-35"]
    job.locator("button.open-window").click()
    job.locator("label.choice", has_text="Tomorrow").click()
    job.locator(".slots label.slot").nth(3).click()
    job.locator("button.save-window").click()
    reason = job.locator("input[name=reason]")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(job.locator(".window-form .field .error")).to_be_visible()
    assert city.get_order(order["id"])["appointment"]["moves"] == 0
    reason.fill("The customer works late")
    job.locator("button.save-window").click()
    expect(job.locator(".window")).to_contain_text("moved 1×")
    expect(console.locator(".appointment")).to_contain_text("moved 1×")
    expect(console.locator(".timeline")).to_contain_text("The customer works late")
