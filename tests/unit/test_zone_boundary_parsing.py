"""A boundary is parsed to exactly its type's nesting, checked as geometry and rebuilt."""

from __future__ import annotations

from typing import Any

import pytest

from dispatchd.domain.boundaries import MAX_VERTICES
from dispatchd.domain.errors import InvalidInput
from dispatchd.service.boundary import parse_boundary

SHELL = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]]
HOLE = [[1.0, 1.0], [1.0, 2.0], [2.0, 2.0], [2.0, 1.0], [1.0, 1.0]]


def _refusal(raw: Any, **options: Any) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as refused:
        parse_boundary(raw, **options)
    [error] = refused.value.errors
    return error.field, error.message


def test_a_hostile_nesting_is_refused_without_walking_it() -> None:
    coordinates: Any = [0, 0]
    for _ in range(200_000):
        coordinates = [coordinates]
    field, message = _refusal({"type": "MultiPolygon", "coordinates": coordinates})
    assert field == "boundary.coordinates[0][0][0]"
    assert "[lon, lat]" in message


def test_an_integer_too_big_for_a_float_is_refused_as_out_of_range() -> None:
    ring = [[0, 10**400], [1, 0], [1, 1], [0, 10**400]]
    field, message = _refusal({"type": "Polygon", "coordinates": [ring]})
    assert field == "boundary.coordinates[0][0][1]"
    assert "-90..90" in message


def test_the_vertex_budget_counts_every_ring_of_every_polygon() -> None:
    per_ring = MAX_VERTICES // 4
    ring = [[float(i % 2), i / per_ring] for i in range(per_ring - 1)]
    polygon = [[*ring, ring[0]]]
    within = {"type": "MultiPolygon", "coordinates": [polygon] * 4}
    field, message = _refusal({**within, "coordinates": [*within["coordinates"], polygon]})
    assert field == "boundary.coordinates"
    assert str(MAX_VERTICES) in message


def test_a_fault_in_one_polygon_of_a_multipolygon_names_that_polygon() -> None:
    far = [[[10.0, 10.0], [11.0, 11.0], [11.0, 10.0], [10.0, 11.0], [10.0, 10.0]]]
    field, message = _refusal({"type": "MultiPolygon", "coordinates": [[SHELL], far]})
    assert field == "boundary.coordinates[1]"
    assert "Self-intersection" in message


def test_a_hole_outside_its_shell_is_refused() -> None:
    outside = [[[5.0 + x, y] for x, y in HOLE]]
    field, message = _refusal({"type": "Polygon", "coordinates": [SHELL, *outside]})
    assert field == "boundary.coordinates"
    assert "Hole lies outside shell" in message


def test_the_stored_form_keeps_type_and_coordinates_wound_as_rfc_7946_asks() -> None:
    clockwise_shell = SHELL[::-1]
    counter_clockwise_hole = HOLE[::-1]
    parsed = parse_boundary(
        {
            "type": "Polygon",
            "coordinates": [
                [[int(x), int(y), 7] for x, y in clockwise_shell],
                counter_clockwise_hole,
            ],
            "bbox": [0, 0, 4, 4],
            "id": "anything",
        }
    )
    assert parsed.geojson == {"type": "Polygon", "coordinates": [SHELL, HOLE]}
    assert all(
        type(number) is float
        for ring in parsed.geojson["coordinates"]
        for p in ring
        for number in p
    )
    assert parsed.geometry.area == 15.0


def test_open_rings_are_closed_only_when_repairing() -> None:
    open_ring = {"type": "Polygon", "coordinates": [SHELL[:-1]]}
    assert _refusal(open_ring)[0] == "boundary.coordinates[0]"
    assert parse_boundary(open_ring, close_rings=True).geojson["coordinates"] == [SHELL]
