"""An installer's done jobs: their own only, last completed first, paged, each with its fee."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from dispatchd.service.clock import FakeClock
from tests.helpers import IN_CENTRE, City
from tests.photos import jpeg


def _complete(city: City, client: TestClient, installer: str, fee: int) -> str:
    order = city.order(fee=fee)
    assert order["current_offer"]["installer_id"] == installer
    headers = city.as_installer(installer)
    offer = order["current_offer"]["id"]
    assert client.post(f"/api/v1/offers/{offer}/accept", headers=headers).status_code == 200
    assert client.post(f"/api/v1/orders/{order['id']}/start", headers=headers).status_code == 200
    done = client.post(
        f"/api/v1/orders/{order['id']}/complete",
        files={"photo": ("work.jpg", jpeg(), "image/jpeg")},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    return str(order["id"])


def _history(client: TestClient, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/me/history{query}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_history_lists_the_installers_completed_jobs_newest_first_in_pages_with_fees(
    city: City, client: TestClient, clock: FakeClock
) -> None:
    installer = city.installer([city.zone()], at=IN_CENTRE, name="Wang Wei")
    done = []
    for fee in (1000, 2000, 3000):
        done.append(_complete(city, client, installer, fee))
        clock.advance(60)
    headers = city.as_installer(installer)
    first = _history(client, headers, "?limit=2")
    assert [(o["id"], o["fee"]) for o in first["items"]] == [(done[2], 3000), (done[1], 2000)]
    assert first["next_cursor"]
    rest = _history(client, headers, f"?limit=2&cursor={first['next_cursor']}")
    assert [(o["id"], o["fee"]) for o in rest["items"]] == [(done[0], 1000)]
    assert rest["next_cursor"] is None
    ledger = client.get(f"/api/v1/installers/{installer}/ledger", headers=headers).json()
    fees = sorted((e["order_id"], e["amount"]) for e in ledger["items"] if e["reason"] == "job_fee")
    assert fees == sorted(zip(done, (1000, 2000, 3000), strict=True))


def test_another_installer_sees_none_of_the_history_and_a_manager_cannot_ask_for_it(
    city: City, client: TestClient
) -> None:
    zone = city.zone()
    wang = city.installer([zone], at=IN_CENTRE, name="Wang Wei")
    _complete(city, client, wang, 1000)
    zhao = city.installer([zone], at={"lat": 31.3, "lon": 121.6}, name="Zhao Lei")
    assert _history(client, city.as_installer(zhao))["items"] == []
    assert client.get("/api/v1/me/history", headers=city.admin).status_code in (403, 404)


def test_a_cursor_the_server_did_not_issue_is_refused_naming_the_field(
    city: City, client: TestClient
) -> None:
    installer = city.installer([city.zone()], at=IN_CENTRE, name="Wang Wei")
    response = client.get(
        "/api/v1/me/history?cursor=not-a-cursor", headers=city.as_installer(installer)
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "cursor" in response.text
