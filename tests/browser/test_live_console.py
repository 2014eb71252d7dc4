"""The console under a stream of events: what the dispatcher is doing is never taken from them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.city import LiveCity, log_in
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import EAST, IN_EAST

pytestmark = pytest.mark.browser

REASON = "Customer rescheduled to Friday, call before 9"
MAX_ORDERS = 300


@contextmanager
def orders_streaming(city: LiveCity) -> Iterator[list[int]]:
    """New orders arrive one after another, each with its events, until the block ends."""
    stop = threading.Event()
    made = [0]

    def keep_ordering() -> None:
        with httpx.Client(base_url=city.base_url, timeout=10) as http:
            while not stop.is_set() and made[0] < MAX_ORDERS:
                body = {
                    "customer": {"name": "Zhou Min", "phone": "+8613912345679"},
                    "address": "8 Century Avenue",
                    "location": IN_EAST,
                    "product": "Water heater JSQ-25",
                }
                http.post("/api/v1/orders", json=body, headers=city.admin).raise_for_status()
                made[0] += 1

    worker = threading.Thread(target=keep_ordering, daemon=True)
    worker.start()
    try:
        yield made
    finally:
        stop.set()
        worker.join(10)


def test_a_cancel_reason_typed_while_events_stream_in_is_saved_exactly_as_typed(
    city: LiveCity, desk: BrowserContext
) -> None:
    centre = city.zone()
    city.installer(centre)
    city.installer(city.zone("East", EAST), "Qian Min", "qian", at=IN_EAST)
    order = city.order()
    console = desk.new_page()
    log_in(console, "/console/", "admin", ADMIN_PASSWORD)
    console.goto(f"/console/#/orders/{order['id']}")
    console.click(".cancel-box summary")
    with orders_streaming(city) as made:
        reason = console.locator("#cancel-reason")
        reason.click()
        reason.press_sequentially(REASON, delay=40, timeout=30000)
        assert made[0] >= 10, "the events did not stream while the reason was typed"
        expect(reason).to_have_value(REASON)
        console.click(".cancel-box button[type=submit]")
        expect(console.locator(".cancel-confirm")).to_contain_text("The live offer to")
        console.click(".cancel-box button.confirm-cancel")
    expect(console.locator(".timeline")).to_contain_text(REASON)
    assert city.get_order(order["id"])["status"] == "cancelled"
    cancelled = [
        e for e in city.get_order(order["id"])["events"] if e["event"] == "order.cancelled"
    ]
    assert [e["data"]["reason"] for e in cancelled] == [REASON]
