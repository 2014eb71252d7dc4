"""What the console needs beyond the contract: ranked candidates and KPI figures."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.helpers import CENTRE, EAST, IN_CENTRE, IN_EAST, City, login
from tests.photos import jpeg


def test_candidates_come_eligible_first_then_nearest_with_reasons_for_the_rest(
    city: City, client: TestClient
) -> None:
    centre, east = city.zone("Centre", CENTRE), city.zone("East", EAST)
    near = city.installer([centre], at={"lat": 31.231, "lon": 121.471}, name="Near")
    far = city.installer([centre], at={"lat": 31.16, "lon": 121.41}, name="Far")
    resting = city.installer([centre], at=IN_CENTRE, on_duty=False, name="Resting")
    elsewhere = city.installer([east], at=IN_EAST, name="Elsewhere")
    order = city.order(IN_CENTRE)
    response = client.get(f"/api/v1/orders/{order['id']}/candidates", headers=city.admin)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["installer_id"] for item in items[:2]] == [near, far]
    assert items[0]["eligible"] is True
    assert items[0]["active_jobs"] == 1  # the offer it holds counts as workload
    reasons = {item["installer_id"]: item["why_not"] for item in items}
    assert reasons[resting] == ["off duty"]
    assert reasons[elsewhere] == ["outside their zones"]
    by_id = {item["installer_id"]: item for item in items}
    assert by_id[elsewhere]["serves_order_zone"] is False
    assert by_id[near]["distance_m"] < by_id[far]["distance_m"]


def test_candidates_are_for_console_users_and_hidden_orders_are_not_found(
    city: City, client: TestClient
) -> None:
    installer = city.installer([city.zone()], at=IN_CENTRE)
    order = city.order(IN_CENTRE)
    as_installer = client.get(
        f"/api/v1/orders/{order['id']}/candidates", headers=city.as_installer(installer)
    )
    assert as_installer.status_code == 403
    missing = client.get("/api/v1/orders/ord_nope/candidates", headers=city.admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_stats_count_time_to_accept_revocations_and_penalties_per_day(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone()
    quick = city.installer([zone], at={"lat": 31.231, "lon": 121.471})
    first = city.order(IN_CENTRE)
    clock.advance(40)
    offer = first["current_offer"]
    assert offer["installer_id"] == quick
    client.post(f"/api/v1/offers/{offer['id']}/accept", headers=city.as_installer(quick))
    city.installer([zone], at={"lat": 31.2, "lon": 121.45})
    city.order(IN_CENTRE)  # goes to the nearer, who lets it lapse; then to the other
    for step in (300, 300, 600):
        clock.advance(step)
        engine.run_due()
    response = client.get("/api/v1/stats?days=3", headers=city.admin)
    assert response.status_code == 200, response.text
    stats = response.json()
    today = stats["days"][-1]
    assert len(stats["days"]) == 3
    assert today["offers_sent"] == 3
    assert today["accepted"] == 1
    assert today["revocations"] == 1
    assert today["penalties"] == 1
    assert today["penalty_amount"] == 2000
    assert stats["time_to_accept"]["median_s"] == 40
    assert stats["time_to_accept"]["buckets"][1] == {"up_to_s": 60, "count": 1}
    assert stats["orders_by_status"] == {"accepted": 1, "offered": 1}


def test_stats_of_a_zone_limited_manager_count_only_their_zones(
    city: City, client: TestClient
) -> None:
    centre, east = city.zone("Centre", CENTRE), city.zone("East", EAST)
    city.installer([centre], at=IN_CENTRE)
    city.installer([east], at=IN_EAST)
    city.order(IN_CENTRE)
    city.order(IN_EAST)
    stats = client.get("/api/v1/stats", headers=_manager_of(city, client, east)).json()
    assert stats["days"][-1]["offers_sent"] == 1
    assert sum(stats["orders_by_status"].values()) == 1


def test_stats_refuse_a_window_out_of_range(city: City, client: TestClient) -> None:
    response = client.get("/api/v1/stats?days=0", headers=city.admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "days"


def test_stats_sum_the_fees_credited_the_penalties_booked_and_the_penalties_waived_per_day(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    centre, east = city.zone("Centre", CENTRE), city.zone("East", EAST)
    slow = city.installer([centre], at=IN_CENTRE)
    city.order(IN_CENTRE)
    for step in (300, 300):
        clock.advance(step)
        engine.run_due()
    ledger_url = f"/api/v1/installers/{slow}/ledger"
    (penalty,) = client.get(ledger_url, headers=city.admin).json()["items"]
    waived = client.post(
        ledger_url,
        json={
            "amount": 2000,
            "reason": "penalty_waived",
            "note": "road closed",
            "entry_id": penalty["id"],
        },
        headers=city.admin,
    )
    assert waived.status_code == 201, waived.text
    worker = city.installer([east], at=IN_EAST)
    paid = city.order(IN_EAST, fee=15000)
    client.post(
        f"/api/v1/offers/{paid['current_offer']['id']}/accept", headers=city.as_installer(worker)
    )
    client.post(f"/api/v1/orders/{paid['id']}/start", headers=city.as_installer(worker))
    done = client.post(
        f"/api/v1/orders/{paid['id']}/complete",
        files={"photo": ("work.jpg", jpeg(), "image/jpeg")},
        headers=city.as_installer(worker),
    )
    assert done.status_code == 200, done.text

    today = client.get("/api/v1/stats?days=2", headers=city.admin).json()["days"][-1]
    assert (today["fees_credited"], today["penalties_booked"]) == (15000, 2000)
    assert (today["penalties_waived"], today["waivers"]) == (2000, 1)

    east_only = client.get("/api/v1/stats?days=2", headers=_manager_of(city, client, east))
    mine = east_only.json()["days"][-1]
    assert (mine["fees_credited"], mine["penalties_booked"], mine["penalties_waived"]) == (
        15000,
        0,
        0,
    )


def _manager_of(city: City, client: TestClient, zone_id: str) -> dict[str, str]:
    """A manager limited to one zone, logged in."""
    body = {"username": "eastie", "password": "manager-password", "role": "manager"}
    created = client.post("/api/v1/users", json={**body, "zone_ids": [zone_id]}, headers=city.admin)
    assert created.status_code == 201, created.text
    return login(client, "eastie", "manager-password")
