"""The console: manual assignment, the policy editor, the map, and both languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.city import INSTALLER_PASSWORD, LiveCity, log_in
from tests.browser.conftest import DESKTOP, PHONE, RECORD_VIBRATIONS, SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import EAST

pytestmark = pytest.mark.browser


def test_a_manager_offers_an_order_to_a_ranked_candidate_of_their_choice(
    city: LiveCity, desk: BrowserContext, phone: BrowserContext
) -> None:
    centre = city.zone()
    city.installer(centre, "Wang Wei", "wang", at={"lat": 31.23, "lon": 121.47})
    city.installer(centre, "Zhao Lei", "zhao", at={"lat": 31.16, "lon": 121.41})
    city.installer(city.zone("East", EAST), "Qian Min", "qian", at={"lat": 31.2, "lon": 121.6})
    order = city.order()
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.goto(f"/console/#/orders/{order['id']}")
    rows = console.locator(".candidate-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Wang Wei")
    expect(rows.nth(1)).to_contain_text("Zhao Lei")
    expect(rows.nth(2)).to_contain_text("outside their zones")

    handset = phone.new_page()
    log_in(handset, "/app/", "zhao", INSTALLER_PASSWORD)
    offer = rows.nth(1).locator("button.assign")
    offer.click()
    expect(offer).to_have_attribute("data-confirm", "1")
    expect(console.locator(".candidate-table .confirm-note")).to_contain_text(
        "The live offer to Wang Wei is withdrawn"
    )
    expect(handset.locator(".offer-card")).to_have_count(0)
    offer.click()
    expect(handset.locator(".offer-card")).to_have_count(1)
    expect(console.locator(".timeline")).to_contain_text("Offer to Wang Wei withdrawn")
    expect(console.locator(".timeline")).to_contain_text("Offered to Zhao Lei (attempt 2)")

    console.click("nav a[data-route=map]")
    expect(console.locator("svg.map .zone")).to_have_count(2)
    expect(console.locator("svg.map .installer-marker")).to_have_count(3)
    expect(console.locator("svg.map .order-marker.status-offered")).to_have_count(1)
    console.screenshot(path=SCREENSHOTS / "console-map.png")


def test_the_policy_editor_shows_the_servers_validation_messages_and_saves_a_valid_ladder(
    city: LiveCity, desk: BrowserContext
) -> None:
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.click("nav a[data-route=policy]")
    console.select_option("#step-2-action", "remind")
    console.click("button.save-policy")
    problem = console.locator(".policy-problem")
    expect(problem).to_contain_text("must end with exactly one revoke step")

    console.select_option("#step-2-action", "revoke")
    console.fill("#step-1-amount", "0")
    console.click("button.save-policy")
    expect(problem).to_contain_text("The server refused the policy")
    expect(problem).not_to_contain_text("escalation[1]")
    expect(console.locator("#step-1-amount")).to_have_attribute("aria-invalid", "true")
    expect(console.locator(".step").nth(1).locator(".error")).to_have_text("Must be more than 0.")

    console.fill("#step-1-amount", "5")
    console.fill("#step-0-after", "60")
    console.click("button.save-policy")
    expect(problem).to_have_count(0)
    policy = city.http.get("/api/v1/policy", headers=city.admin).json()
    steps = [(step["after_s"], step["action"], step.get("amount")) for step in policy["escalation"]]
    assert steps == [(60, "remind", None), (300, "penalize", 500), (600, "revoke", None)]


def test_the_pages_speak_the_browsers_language_and_switch_on_request(
    browser: Browser, base_url: str, city: LiveCity
) -> None:
    city.installer(city.zone())
    context = browser.new_context(base_url=base_url, locale="zh-CN", **PHONE)  # type: ignore[arg-type]
    context.add_init_script(RECORD_VIBRATIONS)
    handset = context.new_page()
    handset.goto("/app/")
    expect(handset.locator("#login-title")).to_have_text("登录以接收工单")
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    city.order()
    expect(handset.locator(".offer-card .accept")).to_have_text("接单")
    handset.screenshot(path=SCREENSHOTS / "phone-offer-zh.png")
    handset.click("#lang")
    expect(handset.locator(".offer-card .accept")).to_have_text("Accept")
    assert handset.evaluate("document.documentElement.lang") == "en"
    context.close()

    desk = browser.new_context(base_url=base_url, locale="zh-CN", **DESKTOP)  # type: ignore[arg-type]
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    expect(console.locator("nav a[data-route=board]")).to_have_text("看板")
    console.screenshot(path=SCREENSHOTS / "console-board-zh.png")
    desk.close()


def test_the_policy_editor_says_the_servers_refusal_in_chinese_on_a_chinese_console(
    browser: Browser, base_url: str, city: LiveCity
) -> None:
    desk = browser.new_context(base_url=base_url, locale="zh-CN", **DESKTOP)  # type: ignore[arg-type]
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.click("nav a[data-route=policy]")
    console.select_option("#step-2-action", "remind")
    console.click("button.save-policy")
    problem = console.locator(".policy-problem")
    expect(problem).to_contain_text("阶梯必须以且仅以一个撤回步骤结束")
    assert "must" not in (problem.text_content() or "")

    console.select_option("#step-2-action", "revoke")
    console.fill("#step-0-after", "0")
    console.click("button.save-policy")
    expect(console.locator(".step").nth(0).locator(".error")).to_have_text("必须大于 0。")
    desk.close()
