"""The phone an installer keeps open all day: a switch that moves, offers that say pay and
distance, declines with a reason, toasts off the used control, the done jobs and the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.city import INSTALLER_PASSWORD, LiveCity, log_in
from tests.browser.conftest import PHONE, SCREENSHOTS
from tests.photos import jpeg

pytestmark = pytest.mark.browser


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_the_duty_switch_knob_moves_and_says_its_state(
    city: LiveCity, phone: BrowserContext
) -> None:
    city.installer(city.zone(), on_duty=False)
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    duty = handset.locator("#duty")
    expect(duty).to_have_attribute("role", "switch")
    expect(duty).to_have_attribute("aria-checked", "false")
    off = _box(handset, "#duty .knob")["x"]
    duty.click()
    expect(duty).to_have_attribute("aria-checked", "true")
    handset.wait_for_function(
        "(off) => document.querySelector('#duty .knob').getBoundingClientRect().x > off + 15",
        arg=off,
    )


def test_the_offer_shows_pay_distance_skills_and_time_left_but_no_attempt_number(
    city: LiveCity, phone: BrowserContext
) -> None:
    city.installer(city.zone(), at={"lat": 31.23, "lon": 121.47})
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    city.order(fee=18000, skills=[], location={"lat": 31.24, "lon": 121.47})
    card = handset.locator(".offer-card")
    expect(card.locator(".fact.fee dd")).to_have_text("CN¥180.00")
    expect(card.locator(".fact.distance dd")).to_have_text("1.1 km")
    expect(card.locator(".countdown")).to_contain_text("Reminder in")
    assert "Attempt" not in card.inner_text()
    handset.screenshot(path=SCREENSHOTS / "phone-offer-card-en.png")


def test_an_offer_for_a_job_that_needs_skills_names_them_on_the_card(
    city: LiveCity, phone: BrowserContext
) -> None:
    wang = city.installer(city.zone())
    skilled = city.http.patch(
        f"/api/v1/installers/{wang}",
        json={"skills": ["wall-mount", "electric", "gas"]},
        headers=city.admin,
    )
    assert skilled.status_code == 200, skilled.text
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    city.order(skills=["wall-mount", "electric"])
    skills = handset.locator(".offer-card .skills")
    expect(skills).to_contain_text("Skills")
    expect(skills.locator(".badge.skill")).to_have_text(["electric", "wall-mount"])
    handset.screenshot(path=SCREENSHOTS / "phone-offer-skills-en.png")


def test_a_decline_sends_the_chosen_reason(city: LiveCity, phone: BrowserContext) -> None:
    city.installer(city.zone())
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    order = city.order()
    card = handset.locator(".offer-card")
    card.locator("button.decline").click()
    card.locator("button.send-decline").click()
    expect(card.locator(".form-message")).to_have_text("Pick a reason.")
    card.get_by_label("Other", exact=True).check()
    card.locator("textarea[name=other]").fill("van broke down")
    handset.screenshot(path=SCREENSHOTS / "phone-decline-en.png")
    card.locator("button.send-decline").click()
    expect(handset.locator(".offer-card")).to_have_count(0)
    detail = city.get_order(order["id"])
    declined = [e for e in detail["events"] if e["event"] == "offer.declined"]
    assert declined
    assert declined[0]["data"]["reason"] == "van broke down"


def _in_progress(city: LiveCity, **order: object) -> tuple[dict[str, object], str]:
    installer = city.installer(city.zone())
    job = city.order(**order)
    city.start(job, city.accept(job))
    return job, installer


def test_the_wrong_code_toast_does_not_cover_the_submit_button(
    city: LiveCity, phone: BrowserContext, tmp_path: Path
) -> None:
    _in_progress(city)
    photo = tmp_path / "work.jpg"
    photo.write_bytes(jpeg(640, 480, (90, 140, 200)))
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    job = handset.locator(".job-card")
    job.locator("button.open-complete").click()
    job.locator("input[type=file]").set_input_files(photo)
    job.locator("input[name=service_code]").fill("000000")
    for where in ("bottom", "top"):
        handset.evaluate(
            "(where) => { const b = document.querySelector('button.send-completion');"
            " const r = b.getBoundingClientRect();"
            " window.scrollBy(0, where === 'top' ? r.top - 70 : r.bottom - innerHeight + 80); }",
            where,
        )
        job.locator("button.send-completion").click()
        toast = handset.locator(".toast.danger").last
        expect(toast).to_contain_text("The code is wrong.")
        handset.wait_for_timeout(100)
        assert not _overlap(
            _box(handset, ".toast.danger >> nth=-1"), _box(handset, "button.send-completion")
        )
        handset.screenshot(path=SCREENSHOTS / f"phone-wrong-code-{where}.png")


def test_navigate_opens_amap_where_the_deployment_says_so(
    city: LiveCity, browser: object, base_url: str
) -> None:
    _in_progress(city)
    context = browser.new_context(
        base_url=base_url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )  # type: ignore[attr-defined]
    try:
        handset = context.new_page()
        log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
        link = handset.locator(".job-card a.navigate")
        expect(link).to_have_attribute(
            "href", __import__("re").compile(r"^https://uri\.amap\.com/navigation\?to=121\.")
        )
        expect(handset.locator(".job-card .job-fee")).to_be_visible()
        handset.screenshot(path=SCREENSHOTS / "phone-job-zh.png")
    finally:
        context.close()


def test_a_completed_job_appears_in_history_with_its_fee_and_the_ledger_shows_the_credit(
    city: LiveCity, phone: BrowserContext
) -> None:
    job, installer = _in_progress(city, fee=15000)
    city.complete_without_code(job, installer)
    ledger = city.http.get(
        f"/api/v1/installers/{installer}/ledger", headers=city.as_installer(installer)
    ).json()
    assert [(e["amount"], e["reason"]) for e in ledger["items"]] == [(15000, "job_fee")]
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    handset.click(".tabbar a[data-view=history]")
    item = handset.locator(".history-item")
    expect(item).to_have_count(1)
    expect(item.locator(".fee")).to_have_text("CN¥150.00")
    handset.screenshot(path=SCREENSHOTS / "phone-history-en.png")
    handset.click("#open-ledger")
    expect(handset.locator(".ledger-balance")).to_have_text("CN¥150.00")
    entry = handset.locator(".ledger-entry.reason-job_fee")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Job fee")
    expect(entry.locator(".amount")).to_have_text("CN¥150.00")
    handset.screenshot(path=SCREENSHOTS / "phone-ledger-en.png")


def test_in_chinese_the_offer_history_and_ledger_read_in_chinese(
    city: LiveCity, browser: Browser, base_url: str
) -> None:
    job, installer = _in_progress(city, fee=15000)
    city.complete_without_code(job, installer)
    city.order(fee=18000, location={"lat": 31.24, "lon": 121.47})
    context = browser.new_context(base_url=base_url, locale="zh-CN", **PHONE)  # type: ignore[arg-type]
    try:
        handset = context.new_page()
        log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
        card = handset.locator(".offer-card")
        expect(card.locator(".fact.fee dt")).to_have_text("报酬")
        expect(card.locator(".fact.fee dd")).to_contain_text("180.00")
        handset.screenshot(path=SCREENSHOTS / "phone-offer-card-zh.png")
        handset.click(".tabbar a[data-view=history]")
        expect(handset.locator(".history-item .fee")).to_contain_text("150.00")
        handset.screenshot(path=SCREENSHOTS / "phone-history-zh.png")
        handset.click(".tabbar a[data-view=earnings]")
        expect(handset.locator(".ledger-entry.reason-job_fee")).to_contain_text("工单收入")
        handset.screenshot(path=SCREENSHOTS / "phone-ledger-zh.png")
    finally:
        context.close()
