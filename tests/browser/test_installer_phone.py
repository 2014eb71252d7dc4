"""The installer's phone: offers arrive live, ring and vibrate up the ladder, and stop on revoke."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, expect

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.browser.city import INSTALLER_PASSWORD, LiveCity, log_in, vibrations
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def test_an_order_created_in_the_console_shows_on_the_installers_phone_within_a_second(
    city: LiveCity, phone: BrowserContext, desk: BrowserContext
) -> None:
    city.installer(city.zone())
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)

    console.click("button.new-order")
    console.fill("#no-customer-name", "Han Meimei")
    console.fill("#no-customer-phone", "13912345679")
    console.fill("#no-address", "88 Middle Huaihai Road")
    console.fill("#no-product", "Water heater JSQ-16")
    console.fill("#no-notes", "Call before coming")
    started = time.monotonic()
    console.click("#new-order-submit")
    handset.locator(".offer-card").wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0

    card = handset.locator(".offer-card")
    expect(card.locator(".product")).to_have_text("Water heater JSQ-16")
    expect(card.locator(".address")).to_have_text("88 Middle Huaihai Road")
    expect(card.locator(".countdown")).to_contain_text("Reminder in")
    assert vibrations(handset), "the offer must vibrate the phone"
    expect(console.locator(".col-offered .order-card")).to_contain_text("Water heater JSQ-16")
    handset.screenshot(path=SCREENSHOTS / "phone-offer.png")
    console.screenshot(path=SCREENSHOTS / "console-board.png")


def test_an_unanswered_offer_reminds_then_penalizes_then_is_revoked_and_raised_in_the_console(
    app: FastAPI,
    city: LiveCity,
    phone: BrowserContext,
    desk: BrowserContext,
    clock: FakeClock,
    engine: DeadlineEngine,
) -> None:
    city.installer(city.zone())
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    city.order()
    card = handset.locator(".offer-card")
    card.wait_for()
    rung = len(vibrations(handset))

    clock.advance(300)
    engine.run_due()
    expect(card).to_have_class("offer-card state-reminded escalated")
    expect(card.locator(".offer-kind")).to_have_text("Reminder — please answer")
    expect(card.locator(".countdown")).to_contain_text("Penalty of CN¥20.00 in")
    handset.wait_for_function("(rung) => window.__vibrations.length > rung", arg=rung)
    rung = len(vibrations(handset))
    expect(console.locator(".col-offered .order-card .badge.reminded")).to_be_visible()

    clock.advance(300)
    engine.run_due()
    expect(card.locator(".penalty-note")).to_contain_text("CN¥20.00")
    expect(card.locator(".countdown")).to_contain_text("Offer expires in")
    handset.wait_for_function("(rung) => window.__vibrations.length > rung", arg=rung)
    reminder, penalty = vibrations(handset)[rung - 1], vibrations(handset)[-1]
    assert sum(penalty) > sum(reminder), "the penalty step must be more insistent"
    expect(handset.locator("#me-balance")).to_have_text("-CN¥20.00")
    handset.screenshot(path=SCREENSHOTS / "phone-penalty.png")

    clock.advance(600)
    engine.run_due()
    expect(card).to_have_count(0)
    expect(handset.locator(".notice")).to_contain_text("was revoked")
    revoked = console.locator("#alert-list .alert-item.type-offer_revoked")
    expect(revoked).to_contain_text("Offer revoked")
    expect(revoked).to_contain_text("Wang Wei")
    handset.screenshot(path=SCREENSHOTS / "phone-revoked.png")


def test_an_accept_tapped_offline_is_sent_once_when_the_phone_is_back_online(
    city: LiveCity, phone: BrowserContext
) -> None:
    city.installer(city.zone())
    handset = phone.new_page()
    log_in(handset, "/app/", "wang", INSTALLER_PASSWORD)
    order = city.order()
    handset.locator(".offer-card").wait_for()

    phone.set_offline(True)
    handset.wait_for_function("() => navigator.onLine === false")
    handset.click(".offer-card .accept")
    expect(handset.locator(".offer-card .queued-note")).to_be_visible()
    expect(handset.locator("#queue-note")).to_contain_text("offline")
    assert city.get_order(order["id"])["status"] == "offered"

    phone.set_offline(False)
    expect(handset.locator(".job-card")).to_have_count(1)
    expect(handset.locator(".offer-card")).to_have_count(0)
    expect(handset.locator("#queue-note")).to_be_hidden()
    detail = city.get_order(order["id"])
    assert detail["status"] == "accepted"
    accepted = [e for e in detail["events"] if e["event"] == "offer.accepted"]
    assert len(accepted) == 1
    assert (
        handset.evaluate(
            """() => new Promise((done) => {
             const open = indexedDB.open("dispatchd-app");
             open.onsuccess = () => {
               const all = open.result.transaction("actions").objectStore("actions").getAll();
               all.onsuccess = () => done(all.result.length);
             };
           })"""
        )
        == 0
    )
