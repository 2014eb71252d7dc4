"""Every page and view of the three clients passes axe-core's WCAG 2.0/2.1 A and AA rules.

One server per language holds orders in every state; each client is audited on a phone-sized
and a desktop viewport. axe's findings (violations and what it could not decide) are saved as
JSON beside the screenshots.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.browser import axe
from tests.browser.city import INSTALLER_PASSWORD, EveryState, LiveCity
from tests.browser.conftest import DESKTOP, PHONE, RECORD_VIBRATIONS, SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

# The phone at one device pixel per CSS pixel: the same layout, a quarter of the screenshot.
VIEWPORTS = {"phone": {**PHONE, "device_scale_factor": 1}, "desktop": DESKTOP}
LOCALES = {"en": "en-US", "zh-CN": "zh-CN"}
WORDS = {"en": {"tomorrow": "Tomorrow"}, "zh-CN": {"tomorrow": "明天"}}

LABELS_CLEAR_OF_MARKERS = """() => {
  const boxes = (selector) =>
    [...document.querySelectorAll(selector)].map((e) => e.getBoundingClientRect());
  const markers = boxes("svg.map .order-marker, svg.map .installer-marker");
  return boxes(".zone-label").every((label) => markers.every((marker) =>
    marker.right <= label.left || marker.left >= label.right ||
    marker.bottom <= label.top || marker.top >= label.bottom));
}"""


class Walk:
    """Visits pages in one browser context, auditing and photographing each state it reaches."""

    def __init__(self, context: BrowserContext, audit: axe.Audit, viewport: str) -> None:
        self.page = context.new_page()
        self.audit = audit
        self.viewport = viewport

    def check(self, name: str) -> None:
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(
            path=SCREENSHOTS / f"a11y-{self.audit.language}-{self.viewport}-{name}.png",
            full_page=True,
        )
        self.audit.run(self.page, name, self.viewport)


def _context(browser: Browser, base_url: str, language: str, viewport: str) -> BrowserContext:
    options: dict[str, Any] = {**VIEWPORTS[viewport], "locale": LOCALES[language]}
    context = browser.new_context(base_url=base_url, **options)
    context.add_init_script(RECORD_VIBRATIONS)
    axe.prepare(context)
    context.set_default_timeout(5000)
    return context


def _console(walk: Walk, world: EveryState) -> None:
    page = walk.page
    page.goto("/console/")
    page.fill("#login-username", "admin")
    page.fill("#login-password", "not the password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()
    walk.check("console-login")

    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#conn.live")
    expect(page.locator(".col-completed .order-card")).to_have_count(1)
    expect(page.locator("#alert-list .alert-item")).to_have_count(3)
    walk.check("console-board")

    page.click("button.new-order")
    expect(page.locator("#new-order")).to_be_visible()
    walk.check("console-new-order")
    page.keyboard.press("Escape")
    expect(page.locator("#new-order")).to_be_hidden()

    page.goto(f"/console/#/orders/{world.offered['id']}")
    expect(page.locator(".candidate-table tbody tr")).to_have_count(3)
    page.click(".cancel-box summary")
    walk.check("console-order-offered")

    page.goto(f"/console/#/orders/{world.accepted['id']}")
    expect(page.locator(".promise.kind-appointment .next")).not_to_be_empty()
    expect(page.locator(".reassign-box .candidate-table tbody tr")).to_have_count(3)
    walk.check("console-order-accepted")

    page.goto(f"/console/#/orders/{world.completed['id']}")
    expect(page.locator("form.follow-up")).to_be_visible()
    page.wait_for_function("() => document.querySelector('img.photo')?.naturalWidth > 0")
    walk.check("console-order-completed")

    page.goto("/console/#/map")
    expect(page.locator("svg.map .zone")).to_have_count(2)
    assert page.evaluate(LABELS_CLEAR_OF_MARKERS), "a zone label covers a marker"
    walk.check("console-map")

    page.goto(f"/console/#/installers/{world.wang}")
    expect(page.locator(".ledger-table tbody tr")).to_have_count(1)
    walk.check("console-installers")
    page.click("#manage-close")
    page.click("#new-installer")
    walk.check("console-installer-editor")
    page.keyboard.press("Escape")

    page.goto("/console/#/zones")
    page.locator("[data-edit-zone]").first.click()
    expect(page.locator("#ze-draw path.zone-drawing")).to_have_count(1)
    walk.check("console-zone-editor")
    page.keyboard.press("Escape")

    page.goto("/console/#/users")
    expect(page.locator(".user-table")).to_be_visible()
    walk.check("console-users")

    page.goto("/console/#/policy")
    page.select_option("#step-2-action", "remind")
    page.click("button.save-policy")
    expect(page.locator(".policy-problem")).to_be_visible()
    walk.check("console-policy")

    page.goto("/console/#/kpis")
    expect(page.locator(".figures .figure")).to_have_count(8)
    walk.check("console-kpis")


def _installer_app(walk: Walk, world: EveryState) -> None:
    page = walk.page
    page.goto("/app/")
    page.fill("#login-username", "wang")
    page.fill("#login-password", "not the password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()
    walk.check("app-login")

    page.fill("#login-password", INSTALLER_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#conn.live")
    expect(page.locator(".offer-card.state-penalized")).to_have_count(1)
    expect(page.locator(".job-card")).to_have_count(2)
    page.click(".job-card.status-in_progress button.open-complete")
    expect(page.locator("form.complete-form")).to_be_visible()
    walk.check("app-offers-and-jobs")

    accepted = page.locator(".job-card.status-accepted")
    accepted.locator("button.open-window").click()
    accepted.locator("label.choice", has_text=WORDS[walk.audit.language]["tomorrow"]).click()
    expect(accepted.locator(".slots label.slot")).to_have_count(6)
    walk.check("app-window-picker")


def _tracking(walk: Walk, city: LiveCity, world: EveryState) -> None:
    page = walk.page
    page.goto(city.tracking_path(world.offered))
    walk.check("track-before-acceptance")

    page.goto(city.tracking_path(world.accepted))
    expect(page.locator("#distance-text")).not_to_be_empty()
    page.locator("#reschedule summary").click()
    page.locator("button.send-reschedule").click()
    expect(page.locator("#reason-error")).not_to_be_empty()
    walk.check("track-on-the-way")

    page.goto(city.tracking_path(world.completed))
    page.locator("button.send-rating").click()
    expect(page.locator("#stars-error")).not_to_be_empty()
    walk.check("track-rating-form")

    page.locator("#language-switch").click()
    expect(page.locator("#stars-error")).not_to_be_empty()
    walk.check("track-rating-form-switched")

    page.goto("/t/no-such-link")
    walk.check("track-invalid")


def _walk_each(
    browser: Browser,
    base_url: str,
    language: str,
    audit: axe.Audit,
    clients: list[Callable[[Walk], None]],
) -> None:
    for viewport in VIEWPORTS:
        for client in clients:
            context = _context(browser, base_url, language, viewport)
            try:
                client(Walk(context, audit, viewport))
            finally:
                context.close()


def _set_off(city: LiveCity, world: EveryState) -> None:
    """Wang sets off for the accepted job (whose customer may still ask for another time)."""
    path = f"/api/v1/orders/{world.accepted['id']}/on-the-way"
    response = city.http.post(path, headers=city.as_installer(world.wang))
    assert response.status_code == 200, response.text


@pytest.fixture
def escalate(clock: FakeClock, engine: DeadlineEngine) -> Callable[[int], None]:
    def move(seconds: int) -> None:
        clock.advance(seconds)
        engine.run_due()

    return move


@pytest.fixture
def results() -> Iterator[list[axe.Audit]]:
    audits: list[axe.Audit] = []
    yield audits
    for audit in audits:
        audit.save(SCREENSHOTS / f"axe-{audit.language}.json")


@pytest.mark.parametrize("language", list(LOCALES))
def test_every_page_and_view_passes_the_wcag_audit_on_phone_and_desktop(
    browser: Browser,
    base_url: str,
    city: LiveCity,
    escalate: Callable[[int], None],
    results: list[axe.Audit],
    language: str,
) -> None:
    world = EveryState(city, escalate)
    audit = axe.Audit(language)
    results.append(audit)
    clients: list[Callable[[Walk], None]] = [
        lambda walk: _console(walk, world),
        lambda walk: _installer_app(walk, world),
    ]
    _walk_each(browser, base_url, language, audit, clients)
    # The customer's pages last: the installer sets off for the accepted job, which the
    # console and app audits above show before it.
    _set_off(city, world)
    _walk_each(browser, base_url, language, audit, [lambda walk: _tracking(walk, city, world)])
    assert len(audit.pages) == 2 * 21
    failures = audit.failures()
    assert not failures, "\n".join(failures)
