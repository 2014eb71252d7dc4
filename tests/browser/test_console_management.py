"""The console's management pages: zones drawn, installers created and edited, accounts, the
ledger with its waivers — each through the API, each refusal shown beside its field in the
dispatcher's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.browser.city import LiveCity, log_in
from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "ladder-and-drill"


def _draw_square(console: Page) -> None:
    """Click four corners around the middle of the drawing area."""
    box = console.locator("#ze-draw").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-80, -60), (80, -60), (80, 60), (-80, 60)):
        console.mouse.click(cx + dx, cy + dy)


def _centre(boundary: dict[str, Any]) -> dict[str, float]:
    ring = boundary["coordinates"][0][:-1]
    return {
        "lat": sum(p[1] for p in ring) / len(ring),
        "lon": sum(p[0] for p in ring) / len(ring),
    }


def test_an_installer_and_a_zone_made_in_the_console_get_an_offer_on_the_phone(
    city: LiveCity, desk: BrowserContext, phone: BrowserContext
) -> None:
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)

    console.click("nav a[data-route=zones]")
    console.click("#new-zone")
    console.fill("#ze-name", "Riverside")
    _draw_square(console)
    expect(console.locator("#ze-draw circle")).to_have_count(4)
    expect(console.locator("#ze-boundary")).to_have_value(
        re.compile(r'^\{"type":"Polygon","coordinates":\[\[\[')
    )
    console.screenshot(path=SCREENSHOTS / "console-zone-editor-en.png")
    console.click("#zone-form-submit")
    expect(console.locator(".zone-table")).to_contain_text("Riverside")
    zones = city.http.get("/api/v1/zones", headers=city.admin).json()["items"]
    zone = next(z for z in zones if z["name"] == "Riverside")
    assert len(zone["boundary"]["coordinates"][0]) == 5

    console.click("nav a[data-route=installers]")
    console.click("#new-installer")
    console.fill("#ie-name", "Sun Li")
    console.fill("#ie-phone", "13800138077")
    console.check(f"#ie-zones input[value={zone['id']}]")
    console.fill("#ie-capacity", "2")
    console.fill("#ie-skills", "ac, electric")
    console.fill("#ie-username", "sunli")
    console.fill("#ie-password", NEW_PASSWORD)
    console.screenshot(path=SCREENSHOTS / "console-installer-editor-en.png")
    console.click("#installer-form-submit")
    row = console.locator(".installer-table tbody tr", has_text="Sun Li")
    expect(row).to_contain_text("Riverside")
    expect(row).to_contain_text("Off duty")

    row.locator("[data-edit]").click()
    expect(console.locator("#ie-capacity")).to_have_value("2")
    console.check("#ie-on-duty")
    console.click("#installer-form-submit")
    expect(row.locator(".badge")).to_have_text("On duty, free")
    console.screenshot(path=SCREENSHOTS / "console-installers-en.png")
    installer = next(
        i
        for i in city.http.get("/api/v1/installers", headers=city.admin).json()["items"]
        if i["name"] == "Sun Li"
    )
    assert (installer["phone"], installer["capacity"], installer["skills"]) == (
        "+8613800138077",
        2,
        ["ac", "electric"],
    )

    handset = phone.new_page()
    log_in(handset, "/app/", "sunli", NEW_PASSWORD)
    centre = _centre(zone["boundary"])
    city.http.post("/api/v1/me/location", json=centre, headers=city.login("sunli", NEW_PASSWORD))
    order = city.order(location=centre, product="Water heater JSQ-16")
    assert order["zone_id"] == zone["id"]
    card = handset.locator(".offer-card")
    expect(card.locator(".product")).to_have_text("Water heater JSQ-16")
    assert city.get_order(order["id"])["current_offer"]["installer_id"] == installer["id"]


def test_an_admin_opens_a_manager_account_limited_to_a_zone(
    city: LiveCity, desk: BrowserContext
) -> None:
    city.zone("Centre")
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.click("nav a[data-route=users]")
    expect(console.locator(".user-table")).to_contain_text("admin")
    console.click("#new-user")
    console.fill("#ue-username", "mia")
    console.fill("#ue-password", "manager-pass")
    console.select_option("#ue-role", "manager")
    console.check("#ue-zones input[type=checkbox]")
    console.click("#user-form-submit")
    row = console.locator(".user-table tbody tr", has_text="mia")
    expect(row).to_contain_text("Centre")
    row.locator("[data-edit-user]").click()
    console.uncheck("#ue-zones input[type=checkbox]")
    console.click("#user-form-submit")
    expect(row).to_contain_text("all zones")
    console.screenshot(path=SCREENSHOTS / "console-users-en.png")
    users = city.http.get("/api/v1/users?role=manager", headers=city.admin).json()["items"]
    assert [(u["username"], u["zone_ids"]) for u in users] == [("mia", [])]


def test_a_penalty_is_waived_once_and_a_second_waiver_is_refused_with_a_message(
    city: LiveCity, desk: BrowserContext, clock: FakeClock, engine: DeadlineEngine
) -> None:
    installer = city.installer(city.zone())
    city.order()
    for _ in range(2):
        clock.advance(300)
        engine.run_due()
    ledger = city.http.get(f"/api/v1/installers/{installer}/ledger", headers=city.admin).json()
    assert ledger["balance"] == -2000
    first, second = desk.new_page(), desk.new_page()
    log_in(first, "/console/", "admin", ADMIN_PASSWORD)
    second.goto("/console/")  # the same browser: already logged in
    for console in (first, second):
        console.wait_for_selector("#conn.live")
        console.click("nav a[data-route=installers]")
        console.locator("[data-ledger]").click()
        expect(console.locator("#ledger-balance")).to_have_text("-CN¥20.00")
    row = console.locator(".installer-table tbody tr")
    expect(row.locator("td.amount")).to_have_text("-CN¥20.00")

    first.screenshot(path=SCREENSHOTS / "console-ledger-en.png")
    first.click("[data-waive]")
    first.fill("input[id^=waive-note-]", "Customer moved the visit")
    first.click("[data-confirm-waive]")
    expect(first.locator("#ledger-balance")).to_have_text("CN¥0.00")
    expect(first.locator(".ledger-table")).to_contain_text("Penalty waived")
    expect(first.locator(".ledger-table .badge")).to_have_text("Waived")

    second.click("[data-waive]")
    second.click("[data-confirm-waive]")
    expect(second.locator("#ledger-notice")).to_have_text("This penalty has already been waived.")
    expect(second.locator("#ledger-balance")).to_have_text("CN¥0.00")
    second.screenshot(path=SCREENSHOTS / "console-ledger-second-waiver-en.png")
    after = city.http.get(f"/api/v1/installers/{installer}/ledger", headers=city.admin).json()
    assert after["balance"] == 0
    assert [e["reason"] for e in after["items"]].count("penalty_waived") == 1

    second.fill("#adjust-amount", "12.5")
    second.click("#adjust-submit")
    expect(second.locator("#adjust-note").locator("xpath=..")).to_contain_text("Say why.")
    second.fill("#adjust-note", "Parking refund")
    second.click("#adjust-submit")
    expect(second.locator("#ledger-balance")).to_have_text("CN¥12.50")


def test_a_bad_input_shows_the_translated_message_beside_its_field_in_chinese(
    browser: Browser, base_url: str, city: LiveCity, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone("中心")
    installer = city.installer(zone, "王伟", "wang")
    city.order()
    for _ in range(2):
        clock.advance(300)
        engine.run_due()
    context = browser.new_context(base_url=base_url, locale="zh-CN", **DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(5000)
    try:
        console = context.new_page()
        log_in(console, "/console/", "admin", ADMIN_PASSWORD)
        expect(console.locator("#conn")).to_have_text("实时")
        expect(console.locator("#who")).to_have_text("admin（管理员）")
        console.click("nav a[data-route=installers]")
        expect(console.locator(".installer-table")).to_contain_text("王伟")
        console.screenshot(path=SCREENSHOTS / "console-installers-zh.png")
        _assert_actions_unclipped(console)
        for width in (1280, 1024):
            console.set_viewport_size({"width": width, "height": 800})
            _assert_actions_unclipped(console)
        console.screenshot(path=SCREENSHOTS / "console-installers-zh-1024.png")
        console.set_viewport_size(DESKTOP["viewport"])

        console.click("#new-installer")
        console.uncheck("#ie-zones input[type=checkbox]")  # the only zone comes ticked
        console.fill("#ie-phone", "12345")
        console.fill("#ie-capacity", "0")
        console.fill("#ie-username", "li")
        console.click("#installer-form-submit")
        name = console.locator("#ie-name")
        expect(name).to_have_attribute("aria-invalid", "true")
        expect(name.locator("xpath=..").locator(".field-problem")).to_have_text(
            "至少填写 1 个字符。"
        )
        capacity = console.locator("#ie-capacity").locator("xpath=..")
        expect(capacity.locator(".field-problem")).to_have_text("不能小于 1。")
        username = console.locator("#ie-username").locator("xpath=..")
        expect(username.locator(".field-problem")).to_have_text("至少填写 3 个字符。")
        expect(console.locator("#ie-zones .field-problem")).to_have_text("至少选择 1 项。")
        expect(console.locator("#installer-form-error")).to_have_text("请更正标出的字段。")
        assert "String should" not in console.locator("#manage-dialog").inner_text()
        console.screenshot(path=SCREENSHOTS / "console-installer-editor-errors-zh.png")

        console.fill("#ie-name", "李师傅")
        console.fill("#ie-capacity", "2")
        console.fill("#ie-username", "lishifu")
        console.fill("#ie-password", NEW_PASSWORD)
        console.check("#ie-zones input[type=checkbox]")
        console.click("#installer-form-submit")
        phone = console.locator("#ie-phone").locator("xpath=..")
        expect(phone.locator(".field-problem")).to_have_text(
            "不是有效的电话号码，请按 +8613800138000 的格式填写。"
        )
        console.click("#installer-form-cancel")

        console.locator(f"[data-ledger={installer}]").click()
        expect(console.locator("#ledger-balance")).to_contain_text("20.00")
        console.screenshot(path=SCREENSHOTS / "console-ledger-zh.png")
        console.click("#manage-close")

        console.click("nav a[data-route=zones]")
        console.click("[data-edit-zone]")
        console.fill(
            "#ze-boundary",
            '{"type": "Polygon", "coordinates": [[[121.4, 31.2], [121.5, 31.2], [121.5, 31.3]]]}',
        )
        console.click("#zone-form-submit")
        boundary = console.locator("#ze-boundary").locator("xpath=..")
        expect(boundary.locator(".field-problem")).to_have_text(
            "边界没有闭合：请在末尾重复第一个点。"
        )
        console.screenshot(path=SCREENSHOTS / "console-zone-editor-zh.png")
        console.click("#zone-form-cancel")

        console.click("nav a[data-route=users]")
        expect(console.locator(".user-table")).to_contain_text("管理员")
        console.screenshot(path=SCREENSHOTS / "console-users-zh.png")

        console.click("nav a[data-route=board]")
        console.click("button.new-order")
        console.fill("#no-customer-phone", "13912345679")
        console.fill("#no-address", "淮海中路 88 号")
        console.fill("#no-product", "热水器")
        console.click("#new-order-submit")
        customer = console.locator("#no-customer-name").locator("xpath=..")
        expect(customer.locator(".field-problem")).to_have_text("至少填写 1 个字符。")
        expect(console.locator("#new-order-error")).to_have_text("请更正标出的字段。")

        console.click("#new-order-cancel")
        console.click("#lang")
        expect(console.locator("#conn")).to_have_text("Live")
        expect(console.locator("#who")).to_have_text("admin (admin)")
    finally:
        context.close()


def _assert_actions_unclipped(console: Page) -> None:
    """Each action button's text fits on one line, and the balance stays on one line."""
    for button in console.locator(".installer-table td.actions .btn").all():
        fits = button.evaluate(
            "b => { const r = document.createRange(); r.selectNodeContents(b);"
            " const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));"
            " return tops.size === 1 && b.scrollWidth <= b.clientWidth + 1; }"
        )
        assert fits, button.inner_text()
    for cell in console.locator(".installer-table td.amount").all():
        lines = cell.evaluate(
            "c => { const r = document.createRange(); r.selectNodeContents(c);"
            " return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; }"
        )
        assert lines == 1, cell.inner_text()
    wrap = console.locator(".installer-table").locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the table must not need scrolling"
