"""``GET /metrics``: deadline lag, pending deadlines, backlog, SSE clients, requests by route."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.helpers import IN_CENTRE, City


def scrape(client: TestClient) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def test_an_idle_deployment_reports_no_lag_and_nothing_pending(client: TestClient) -> None:
    found = scrape(client)
    assert found["dispatchd_deadline_lag_seconds"] == 0
    assert found["dispatchd_deadlines_pending"] == 0
    assert found["dispatchd_outbox_backlog"] == 0
    assert found["dispatchd_events_unpublished"] == 0
    assert found["dispatchd_sse_clients"] == 0
    assert found["dispatchd_database_up"] == 1


def test_an_overdue_deadline_shows_as_lag_until_the_engine_fires_it(
    city: City, client: TestClient, clock: FakeClock, engine: DeadlineEngine
) -> None:
    zone = city.zone()
    city.installer([zone], at=IN_CENTRE)
    city.order()
    assert scrape(client)["dispatchd_deadlines_pending"] == 1

    clock.advance(300 + 42)
    assert scrape(client)["dispatchd_deadline_lag_seconds"] == 42

    engine.run_due()
    found = scrape(client)
    assert found["dispatchd_deadline_lag_seconds"] == 0
    assert found["dispatchd_deadlines_fired_total"] == 1
    assert found["dispatchd_events_appended_total"] >= 3


def test_requests_are_counted_by_route_template_and_status(city: City, client: TestClient) -> None:
    client.get("/api/v1/orders/ord_nope", headers=city.admin)
    client.get("/api/v1/orders/ord_other", headers=city.admin)
    found = scrape(client)
    route = "method=GET,route=/api/v1/orders/{order_id},status=404"
    assert found[f"dispatchd_http_requests_total{{{route}}}"] == 2
