"""The console's KPIs count the money: fees credited once a job is done."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.city import LiveCity, log_in
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def test_the_kpis_show_the_fees_credited_for_the_jobs_done_today(
    city: LiveCity, desk: BrowserContext
) -> None:
    centre = city.zone()
    city.installer(centre)
    order = city.order(fee=15000)
    installer = city.accept(order)
    city.start(order, installer)
    city.complete_without_code(order, installer)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.click("nav a[data-route=kpis]")
    fees = console.locator(".figure").filter(has_text="Fees credited to installers")
    expect(fees.locator(".value")).to_have_text("CN¥150.00")
    chart = console.locator("svg.chart[aria-label='Fees, penalties and waivers per day']")
    expect(chart).to_be_visible()
    console.screenshot(path=SCREENSHOTS / "console-kpis-fees.png", full_page=True)
