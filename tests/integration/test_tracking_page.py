"""The customer's tracking page as the server sends it: the tracking data and the deployment's
time zone for the page's script, times on the deployment's clock before the script runs, and
no code of its own in the HTML (the CSP allows none)."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests.helpers import IN_CENTRE, City

DATA = re.compile(r'<script type="application/json" id="track-data">(.*?)</script>', re.S)
SCRIPT_TAGS = re.compile(r"<script\b[^>]*>")


def _token(order: dict[str, str]) -> str:
    return order["tracking_url"].rsplit("/", 1)[1]


def test_the_page_carries_the_tracking_data_and_the_deployments_time_zone(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    city.installer([zone], at=IN_CENTRE, name="Wang Wei")
    order = city.order()
    page = client.get(f"/t/{_token(order)}", headers={"accept-language": "en-US"})
    assert page.status_code == 200
    found = DATA.search(page.text)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["time_zone"] == "Asia/Shanghai"
    assert data["view"] == client.get(f"/api/v1/track/{_token(order)}").json()
    # Ordered at 09:00 UTC on the fake clock: 17:00 in Shanghai, before any script runs.
    assert "2026-11-25 17:00" in page.text
    assert "UTC" not in page.text


def test_the_page_runs_no_inline_code_and_keeps_a_hostile_product_name_as_text(
    city: City, client: TestClient
) -> None:
    city.zone()
    order = city.order(product="</script><script>alert(1)</script>")
    page = client.get(f"/t/{_token(order)}")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    tags = SCRIPT_TAGS.findall(page.text)
    assert tags == [
        '<script type="application/json" id="track-data">',
        '<script type="module" src="/track/main.js">',
    ]
    found = DATA.search(page.text)
    assert found is not None
    assert json.loads(found.group(1))["view"]["product"] == "</script><script>alert(1)</script>"


def test_an_unknown_link_gets_a_page_without_data_or_script(client: TestClient) -> None:
    page = client.get("/t/not-a-token", headers={"accept-language": "en"})
    assert page.status_code == 404
    assert "This link is not valid" in page.text
    assert SCRIPT_TAGS.findall(page.text) == []
