"""The console's map: a view live events leave alone, popups, names that never collide."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.city import LiveCity, log_in
from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import EAST, IN_EAST

pytestmark = pytest.mark.browser

BOXES = """(selector) => [...document.querySelectorAll(selector)]
  .filter((e) => !e.hidden)
  .map((e) => { const b = e.getBoundingClientRect();
                return {left: b.left, top: b.top, right: b.right, bottom: b.bottom}; })"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["right"] <= b["left"]
        or a["left"] >= b["right"]
        or a["bottom"] <= b["top"]
        or a["top"] >= b["bottom"]
    )


def _centre(page: Page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _two_zones_with_people(city: LiveCity) -> dict[str, Any]:
    centre = city.zone()
    east = city.zone("East", EAST)
    wang = city.installer(centre, "Wang Wei", "wang", at={"lat": 31.25, "lon": 121.45})
    city.installer(centre, "Zhao Lei", "zhao", at={"lat": 31.18, "lon": 121.43})
    city.installer(east, "Qian Min", "qian", at={"lat": 31.2, "lon": 121.62})
    order = city.order(fee=18000)
    return {"wang": wang, "order": order}


def _open_map(desk: BrowserContext) -> Page:
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.click("nav a[data-route=map]")
    expect(console.locator("svg.map .zone")).to_have_count(2)
    return console


def test_a_zoomed_and_panned_map_stays_where_the_dispatcher_left_it_when_events_arrive(
    city: LiveCity, desk: BrowserContext
) -> None:
    _two_zones_with_people(city)
    console = _open_map(desk)
    box = console.locator(".map-box")
    fitted = int(box.get_attribute("data-zoom") or 0)
    console.click("button.map-zoom-in")
    expect(box).to_have_attribute("data-zoom", str(fitted + 1))
    marker = "svg.map .installer-marker[aria-label^='Qian Min']"
    before_pan = _centre(console, marker)
    x, y = _centre(console, "svg.map")
    console.mouse.move(x, y)
    console.mouse.down()
    console.mouse.move(x - 60, y - 40, steps=5)
    console.mouse.up()
    panned = _centre(console, marker)
    assert panned == pytest.approx((before_pan[0] - 60, before_pan[1] - 40), abs=2)
    console.screenshot(path=SCREENSHOTS / "console-map-zoomed.png")

    city.order(location=IN_EAST, product="Water heater JSQ-25")
    expect(console.locator("svg.map .order-marker")).to_have_count(2)
    expect(box).to_have_attribute("data-zoom", str(fitted + 1))
    assert _centre(console, marker) == pytest.approx(panned, abs=1)

    console.locator("svg.map").focus()
    console.keyboard.press("-")
    expect(box).to_have_attribute("data-zoom", str(fitted))
    console.keyboard.press("0")
    expect(box).to_have_attribute("data-zoom", str(fitted))
    console.screenshot(path=SCREENSHOTS / "console-map-fitted.png")


def test_clicking_an_installer_opens_a_popup_with_their_name_load_and_current_job(
    city: LiveCity, desk: BrowserContext
) -> None:
    world = _two_zones_with_people(city)
    console = _open_map(desk)
    offered_to = world["order"]["current_offer"]["installer_id"]
    installer = console.locator(f"svg.map .installer-marker[data-id='{offered_to}']")
    installer.click()
    popup = console.locator(".map-popup")
    expect(popup).to_be_visible()
    expect(popup.locator("h3")).to_have_text("Wang Wei")
    expect(popup).to_contain_text("Load: 1 of 3 jobs")
    expect(popup.locator(".popup-jobs")).to_contain_text("Air conditioner KFR-35")
    console.screenshot(path=SCREENSHOTS / "console-map-popup.png")

    city.order(location=IN_EAST, product="Water heater JSQ-25")
    expect(console.locator("svg.map .order-marker")).to_have_count(2)
    expect(popup.locator("h3")).to_have_text("Wang Wei")

    console.keyboard.press("Escape")
    expect(popup).to_be_hidden()
    console.locator(f"svg.map .order-marker[data-id='{world['order']['id']}']").click()
    expect(popup.locator("h3")).to_have_text("Air conditioner KFR-35")
    expect(popup).to_contain_text("Wang Wei")
    expect(popup).to_contain_text("180")
    popup.locator("a.popup-open").click()
    expect(console).to_have_url(f"{city.base_url}/console/#/orders/{world['order']['id']}")


def test_zone_names_cover_neither_each_other_nor_any_marker_at_any_zoom(
    city: LiveCity, desk: BrowserContext
) -> None:
    _two_zones_with_people(city)
    console = _open_map(desk)
    for _ in range(3):
        labels = console.evaluate(BOXES, ".zone-label")
        markers = console.evaluate(BOXES, "svg.map .order-marker, svg.map .installer-marker")
        assert labels, "no zone name is shown"
        for n, label in enumerate(labels):
            assert not any(_overlap(label, other) for other in labels[n + 1 :])
            assert not any(_overlap(label, marker) for marker in markers)
        console.click("button.map-zoom-in")


def test_the_map_speaks_chinese_on_a_chinese_console(
    city: LiveCity, browser: Browser, base_url: str
) -> None:
    world = _two_zones_with_people(city)
    desk = browser.new_context(base_url=base_url, locale="zh-CN", **DESKTOP)  # type: ignore[arg-type]
    console = _open_map(desk)
    expect(console.locator("button.map-zoom-in")).to_have_attribute("aria-label", "放大")
    console.locator(f"svg.map .installer-marker[data-id='{world['wang']}']").click()
    expect(console.locator(".map-popup")).to_contain_text("负载")
    console.screenshot(path=SCREENSHOTS / "console-map-zh.png")
    desk.close()
