"""From acceptance to proof: the customer sees who comes, the phone starts and completes the job."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import BrowserContext, expect

from dispatchd.config import Settings
from tests.browser.axe import RECORD_CSP_VIOLATIONS
from tests.browser.city import INSTALLER_PASSWORD, LiveCity, log_in, service_code
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def _photo(tmp_path: Path) -> Path:
    """A camera-sized photo, so the browser has something to scale down."""
    image = Image.new("RGB", (3000, 2000), (200, 210, 225))
    for x in range(0, 3000, 100):
        for y in range(800, 1400):
            image.putpixel((x, y), (40, 60, 90))
    path = tmp_path / "installed.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def _sms_file(settings: Settings) -> Path:
    assert settings.sms_url is not None
    return Path(settings.sms_url.removeprefix("file://"))


def test_an_accepted_job_shows_the_installer_to_the_customer_and_completes_with_photo_and_code(
    app: FastAPI,
    settings: Settings,
    city: LiveCity,
    phone: BrowserContext,
    desk: BrowserContext,
    tmp_path: Path,
) -> None:
    city.installer(city.zone())
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    order = city.order()
    handset.click(".offer-card .accept")
    job = handset.locator(".job-card")
    expect(job).to_contain_text("Li Lei")
    expect(job.locator("a.call")).to_have_attribute("href", "tel:+8613912345678")

    customer = phone.new_page()
    customer.goto(city.tracking_path(order))
    expect(customer.locator("body")).to_contain_text("Wang Wei")
    expect(customer.locator("body")).to_contain_text("+8613800138001")
    customer.screenshot(path=SCREENSHOTS / "customer-page.png", full_page=True)

    job.locator("button.start").click()
    expect(job).to_have_class("job-card card status-in_progress")
    job.locator("button.open-complete").click()
    job.locator("input[type=file]").set_input_files(_photo(tmp_path))
    expect(job.locator("img.preview")).to_be_visible()
    app.state.relay.run_due()
    job.locator("input[name=service_code]").fill(service_code(_sms_file(settings), order["id"]))
    job.locator("button.send-completion").scroll_into_view_if_needed()
    handset.screenshot(path=SCREENSHOTS / "phone-complete.png")
    job.locator("button.send-completion").click()
    expect(handset.locator(".job-card")).to_have_count(0)

    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.goto(f"/console/#/orders/{order['id']}")
    expect(console.locator(".view-head .badge.completed")).to_have_text("Completed")
    photo = console.locator("img.photo")
    expect(photo).to_be_visible()
    console.wait_for_function("() => document.querySelector('img.photo')?.naturalWidth > 0")
    expect(console.locator(".timeline")).to_contain_text("Installation completed")
    expect(console.locator(".view-head .badge.flag")).to_have_count(0)
    uploaded = city.http.get(f"/api/v1/orders/{order['id']}/photo", headers=city.admin)
    with Image.open(io.BytesIO(uploaded.content)) as stored:
        assert max(stored.size) <= 1600, "the phone scales the photo down before upload"
    console.screenshot(path=SCREENSHOTS / "console-order-detail.png")


def test_a_completion_without_the_code_is_flagged_in_the_console_and_the_follow_up_resolves_it(
    app: FastAPI,
    settings: Settings,
    city: LiveCity,
    phone: BrowserContext,
    desk: BrowserContext,
    tmp_path: Path,
) -> None:
    installer = city.installer(city.zone())
    order = city.order()
    headers = city.as_installer(installer)
    offer_id = order["current_offer"]["id"]
    assert city.http.post(f"/api/v1/offers/{offer_id}/accept", headers=headers).status_code == 200
    assert city.http.post(f"/api/v1/orders/{order['id']}/start", headers=headers).status_code == 200
    app.state.relay.run_due()
    right = service_code(_sms_file(settings), order["id"])
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)

    job = handset.locator(".job-card")
    job.locator("button.open-complete").click()
    job.locator("input[type=file]").set_input_files(_photo(tmp_path))
    job.locator("input[name=service_code]").fill("111111" if right != "111111" else "222222")
    job.locator("button.send-completion").click()
    expect(job.locator(".form-message")).to_have_text("The code is wrong. 4 attempts left.")
    job.locator("input[name=service_code]").fill("")
    expect(job.locator("button.send-completion")).to_have_text("Complete without code")
    job.locator("button.send-completion").click()
    expect(handset.locator(".job-card")).to_have_count(0)

    card = console.locator(f".col-completed .order-card[data-order-id='{order['id']}']")
    expect(card.locator(".badge.flag")).to_contain_text("No service code")
    expect(console.locator("#alert-list .type-follow_up_required")).to_be_visible()
    card.click()
    form = console.locator("form.follow-up")
    form.locator("select").select_option("confirmed")
    form.locator("textarea").fill("Customer confirms the heater works; forgot the SMS.")
    form.scroll_into_view_if_needed()
    console.screenshot(path=SCREENSHOTS / "console-follow-up.png")
    form.locator("button.resolve").click()
    expect(console.locator(".follow-up-done")).to_contain_text(
        "Customer confirmed the installation"
    )
    assert city.get_order(order["id"])["follow_up"]["note"].startswith("Customer confirms")


def test_the_tracking_page_shows_the_installer_once_accepted_without_reloading(
    city: LiveCity, phone: BrowserContext
) -> None:
    installer = city.installer(city.zone())
    order = city.order()
    customer = phone.new_page()
    customer.add_init_script(RECORD_CSP_VIOLATIONS)
    customer.clock.install()
    customer.goto(city.tracking_path(order))
    status = customer.locator("#status")
    expect(status).to_have_text("Finding an installer for you")
    expect(status).to_have_attribute("role", "status")
    expect(customer.locator("#installer")).to_be_hidden()
    customer.evaluate("window.__sameDocument = true")

    offer_id = city.get_order(order["id"])["current_offer"]["id"]
    accepted = city.http.post(
        f"/api/v1/offers/{offer_id}/accept", headers=city.as_installer(installer)
    )
    assert accepted.status_code == 200
    customer.clock.run_for(61_000)  # before anyone is on the way the page looks once a minute
    expect(status).to_have_text("An installer is assigned")
    expect(customer.locator("#installer-name")).to_have_text("Wang Wei")
    expect(customer.locator("#installer-call")).to_have_attribute("href", "tel:+8613800138001")
    expect(customer.locator("#steps li.done")).to_have_count(1)
    expect(customer.locator("#steps li[aria-current=step]")).to_have_count(1)
    assert customer.evaluate("window.__sameDocument") is True, "the page must not reload"
    assert customer.evaluate("window.__cspViolations") == []
