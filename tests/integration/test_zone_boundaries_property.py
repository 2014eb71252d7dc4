"""Whatever zone is accepted reads back exactly as stored, and the zone list never breaks."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dispatchd.store import tables as t
from tests.helpers import City

JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@st.composite
def _ring(draw: st.DrawFn, lon: float, lat: float, radius: float) -> list[list[Any]]:
    """A star-shaped ring around a centre: usually simple, sometimes not (radius may be 0)."""
    corners = draw(st.integers(min_value=3, max_value=9))
    jitter = st.floats(min_value=-0.3, max_value=0.3)
    reach = st.floats(min_value=0.0, max_value=1.0)
    altitude = draw(st.integers(0, 9))
    positions: list[list[Any]] = []
    for index in range(corners):
        angle = 2 * math.pi * (index + draw(jitter)) / corners
        far = radius * draw(reach)
        position: list[Any] = [round(lon + far * math.cos(angle), 6), lat + far * math.sin(angle)]
        if altitude == 0:
            position.append(draw(JUNK))
        elif altitude < 4:
            position.append(draw(st.integers(-100, 9000)))
        positions.append(position)
    if draw(st.booleans()):
        positions.reverse()
    if draw(st.integers(0, 9)) > 0:
        positions.append(list(positions[0]))
    return positions


@st.composite
def _boundary(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JUNK)
    lon = draw(st.floats(min_value=-179, max_value=170))
    lat = draw(st.floats(min_value=-89, max_value=80))
    radius = draw(st.floats(min_value=0.0, max_value=1.0))
    polygons = [
        [draw(_ring(lon + 3 * index, lat, radius))] for index in range(draw(st.integers(1, 3)))
    ]
    boundary: dict[str, Any] = (
        {"type": "Polygon", "coordinates": polygons[0]}
        if len(polygons) == 1 and draw(st.booleans())
        else {"type": "MultiPolygon", "coordinates": polygons}
    )
    extras = draw(st.dictionaries(st.sampled_from(["crs", "properties", "id", "x"]), JUNK))
    return {**boundary, **extras}


def _stored(client: TestClient) -> dict[str, tuple[str, Any]]:
    dispatcher = client.app.state.dispatcher  # type: ignore[attr-defined]
    with dispatcher.reading() as conn:
        rows = conn.execute(select(t.zones.c.id, t.zones.c.name, t.zones.c.boundary)).all()
    return {zone_id: (name, boundary) for zone_id, name, boundary in rows}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(max_size=12), boundary=_boundary())
def test_every_accepted_zone_reads_back_as_stored_and_the_zone_list_stays_readable(
    city: City, client: TestClient, name: str, boundary: Any
) -> None:
    before = _stored(client)
    body = json.dumps({"name": name, "boundary": boundary}).encode("ascii")
    response = client.post(
        "/api/v1/zones", content=body, headers={**city.admin, "content-type": "application/json"}
    )
    event(f"answered {response.status_code}")
    if response.status_code == 201:
        zone = response.json()
        assert set(zone["boundary"]) == {"type", "coordinates"}
        assert client.get(f"/api/v1/zones/{zone['id']}", headers=city.admin).json() == zone
        assert _stored(client)[zone["id"]] == (zone["name"], zone["boundary"])
    else:
        assert response.status_code == 422, response.text
        assert response.json()["errors"]
        assert _stored(client) == before
    listed = client.get("/api/v1/zones", headers=city.admin)
    assert listed.status_code == 200
    assert {zone["id"] for zone in listed.json()["items"]} == set(_stored(client))
