"""After the acceptance: the window agreed on the phone, the promises watched in the console, a
job taken from one installer for another, and the promise ladders edited on the policy page."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.browser.city import INSTALLER_PASSWORD, LiveCity, log_in, vibrations
from tests.browser.conftest import PHONE, SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def _local_hour(page: Page, iso: str) -> int:
    """The hour of a moment on the page's clock (the browser's time zone)."""
    return int(page.evaluate("(iso) => new Date(iso).getHours()", iso))


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
    expect(job.locator(".window-form .field .error")).to_have_text(
        "Say why the window moves; the customer will be told."
    )
    assert city.get_order(order["id"])["appointment"]["moves"] == 0
    reason.fill("The customer works late")
    job.locator("button.save-window").click()
    expect(job.locator(".window")).to_contain_text("moved 1×")
    expect(console.locator(".appointment")).to_contain_text("moved 1×")
    expect(console.locator(".timeline")).to_contain_text("The customer works late")


def test_a_manager_reassigns_an_in_progress_job_with_a_reason_and_the_first_phone_drops_it(
    browser: Browser, base_url: str, city: LiveCity, phone: BrowserContext, desk: BrowserContext
) -> None:
    centre = city.zone()
    wang = city.installer(centre, "Wang Wei", "wang")
    zhao = city.installer(centre, "Zhao Lei", "zhao", at={"lat": 31.16, "lon": 121.41})
    order = city.order()
    assert city.accept(order) == wang
    city.start(order, wang)
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    expect(handset.locator(".job-card.status-in_progress")).to_have_count(1)
    second_phone = browser.new_context(base_url=base_url, locale="en-US", **PHONE)  # type: ignore[arg-type]
    other = second_phone.new_page()
    log_in(other, "/app/", "zhao", INSTALLER_PASSWORD)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.goto(f"/console/#/orders/{order['id']}")

    box = console.locator(".reassign-box")
    expect(box.locator("h2")).to_have_text("Reassign")
    give = box.locator(f"tr[data-installer-id='{zhao}'] button.reassign")
    give.click()
    expect(console.locator("#reassign-reason")).to_have_attribute("aria-invalid", "true")
    expect(box.locator(".field .error")).to_contain_text("Say why")
    expect(box.locator(".reassign-confirm")).to_have_count(0)

    console.fill("#reassign-reason", "Wang Wei is ill and went home")
    give.click()
    confirm = box.locator(".reassign-confirm")
    expect(confirm).to_contain_text("This takes the job from Wang Wei and offers it to Zhao Lei.")
    console.screenshot(path=SCREENSHOTS / "console-reassign-confirm.png", full_page=True)
    assert city.get_order(order["id"])["installer_id"] == wang
    confirm.locator("button.confirm-reassign").click()

    expect(handset.locator(".job-card")).to_have_count(0)
    expect(handset.locator(".notice")).to_contain_text(
        "gave Air conditioner KFR-35 to another installer: Wang Wei is ill and went home"
    )
    handset.screenshot(path=SCREENSHOTS / "phone-job-reassigned.png")
    expect(other.locator(".offer-card")).to_have_count(1)
    expect(console.locator(".timeline")).to_contain_text(
        "Taken from Wang Wei: Wang Wei is ill and went home"
    )
    second_phone.close()
    detail = city.get_order(order["id"])
    assert detail["status"] == "offered"
    assert detail["current_offer"]["installer_id"] == zhao


def test_the_policy_page_saves_an_edited_promise_ladder_and_shows_a_bad_step_where_it_is(
    city: LiveCity, desk: BrowserContext
) -> None:
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.click("nav a[data-route=policy]")
    arrival = console.locator(".ladder-arrival")
    expect(arrival.locator(".promise-step")).to_have_count(2)
    arrival.locator("button.add-promise-step").click()
    expect(console.locator("#arrival-2-after")).to_be_focused()
    console.fill("#arrival-2-after", "3600")
    console.select_option("#arrival-2-action", "reassign")
    console.fill("#arrival-1-after", "0")
    console.fill("#max-window", "7200")
    console.click("button.save-policy")

    expect(console.locator("#arrival-1-after")).to_have_attribute("aria-invalid", "true")
    error = arrival.locator(".promise-step").nth(1).locator(".error")
    expect(error).to_contain_text("only the first step may run at once")
    expect(console.locator(".policy-problem")).to_be_visible()
    console.screenshot(path=SCREENSHOTS / "console-policy-promise-error.png", full_page=True)
    stored = city.http.get("/api/v1/policy", headers=city.admin).json()
    assert len(stored["promises"]["arrival"]) == 2

    console.fill("#arrival-1-after", "1800")
    console.click("button.save-policy")
    expect(console.locator(".policy-problem")).to_have_count(0)
    stored = city.http.get("/api/v1/policy", headers=city.admin).json()
    steps = [(s["after_s"], s["action"], s.get("amount")) for s in stored["promises"]["arrival"]]
    assert steps == [(0, "alert", None), (1800, "penalize", 2000), (3600, "reassign", None)]
    assert stored["max_window_s"] == 7200
    expect(console.locator("#max-window-hint")).to_contain_text("2")


def test_an_unkept_promise_rings_the_phone_and_raises_a_broken_promise_in_the_console(
    city: LiveCity,
    phone: BrowserContext,
    desk: BrowserContext,
    clock: FakeClock,
    engine: DeadlineEngine,
) -> None:
    city.installer(city.zone())
    order = city.order()
    city.accept(order)
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.goto(f"/console/#/orders/{order['id']}")
    expect(console.locator(".promise.kind-appointment .next")).to_contain_text(
        re.compile(r"reminder in (30:00|29:\d\d)")
    )
    rung = len(vibrations(handset))

    clock.advance(1800)
    engine.run_due()
    expect(handset.locator(".notice")).to_contain_text(
        "Reminder: agree an arrival window for Air conditioner KFR-35 with the customer."
    )
    handset.wait_for_function("(rung) => window.__vibrations.length > rung", arg=rung)
    expect(console.locator(".promise.kind-appointment .next")).to_contain_text(
        re.compile(r"alert in (1:00:00|59:\d\d)")
    )

    clock.advance(3600)
    engine.run_due()
    alert = console.locator("#alert-list .alert-item.type-promise_breached")
    expect(alert).to_contain_text("Promise broken")
    expect(alert).to_contain_text("Promise: Agree a window")
    expect(console.locator(".timeline")).to_contain_text("Promise broken: Agree a window (step 2)")

    rung = len(vibrations(handset))
    clock.advance(3600)
    engine.run_due()
    expect(handset.locator(".notice").first).to_contain_text("A penalty of CN¥10.00 was booked")
    handset.wait_for_function("(rung) => window.__vibrations.length > rung", arg=rung)
    expect(handset.locator("#me-balance")).to_have_text("-CN¥10.00")
    expect(console.locator(".ledger")).to_contain_text("Late window penalty")
    handset.screenshot(path=SCREENSHOTS / "phone-promise-penalty.png")
    console.screenshot(path=SCREENSHOTS / "console-promise-breached.png", full_page=True)


def test_an_installer_puts_a_job_on_hold_and_resumes_it_and_a_bad_moment_is_named(
    city: LiveCity, phone: BrowserContext, desk: BrowserContext
) -> None:
    city.installer(city.zone())
    order = city.order()
    city.accept(order)
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    job = handset.locator(".job-card")

    job.locator("button.open-suspend").click()
    expect(handset.locator(f"#suspend-reason-{order['id']}")).to_be_focused()
    handset.select_option(f"#suspend-reason-{order['id']}", "parts_missing")
    handset.fill(f"#suspend-note-{order['id']}", "The bracket is the wrong size")
    handset.fill(f"#suspend-until-{order['id']}", "2026-11-20T10:00")
    job.locator("button.send-suspend").click()
    until = handset.locator(f"#suspend-until-{order['id']}")
    expect(until).to_have_attribute("aria-invalid", "true")
    error = job.locator(".suspend-form .field .error")
    expect(error).to_have_text(
        "This moment has already passed; leave it empty or choose a later one."
    )
    expect(error).not_to_contain_text("lies in the past")
    handset.click("#lang")
    expect(handset.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(error).to_have_text("这个时间已经过去，请留空或选择更晚的时间。")
    handset.screenshot(path=SCREENSHOTS / "phone-suspend-until-error-zh.png", full_page=True)
    handset.click("#lang")
    expect(handset.locator("html")).to_have_attribute("lang", "en")
    assert city.get_order(order["id"])["status"] == "accepted"

    handset.fill(f"#suspend-until-{order['id']}", "")
    job.locator("button.send-suspend").click()
    expect(job.locator(".badge")).to_have_text("On hold")
    expect(job.locator(".hold")).to_contain_text("Parts missing")
    expect(job.locator(".hold")).to_contain_text("The bracket is the wrong size")
    expect(job.locator("button.resume")).to_be_focused()
    handset.screenshot(path=SCREENSHOTS / "phone-job-on-hold.png", full_page=True)
    expect(console.locator(".col-suspended .order-card")).to_contain_text("Parts missing")
    console.screenshot(path=SCREENSHOTS / "console-board-on-hold.png")

    job.locator("button.resume").click()
    expect(job.locator(".badge")).to_have_text("Accepted")
    expect(console.locator(".col-accepted .order-card")).to_have_count(1)
    assert city.get_order(order["id"])["suspension"] is None


def test_an_installer_hands_a_job_back_only_after_confirming_it(
    city: LiveCity, phone: BrowserContext, desk: BrowserContext
) -> None:
    city.installer(city.zone())
    order = city.order()
    city.accept(order)
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    job = handset.locator(".job-card")

    job.locator("button.open-hand-back").click()
    job.locator("button.ask-hand-back").click()
    expect(job.locator(".hand-back-form .error")).to_have_text(
        "Say why you hand the job back, so the dispatcher can act on it."
    )
    handset.fill(f"#hand-back-reason-{order['id']}", "My van broke down")
    job.locator("button.ask-hand-back").click()
    expect(job.locator(".confirm")).to_contain_text("Give Air conditioner KFR-35 back?")
    expect(job.locator("button.confirm-hand-back")).to_be_focused()
    handset.screenshot(path=SCREENSHOTS / "phone-hand-back-confirm.png", full_page=True)
    assert city.get_order(order["id"])["installer_id"] is not None

    job.locator("button.confirm-hand-back").click()
    expect(handset.locator(".job-card")).to_have_count(0)
    alert = console.locator("#alert-list .alert-item.type-job_handed_back")
    expect(alert).to_contain_text("Job handed back")
    expect(alert).to_contain_text("Reason: My van broke down")
