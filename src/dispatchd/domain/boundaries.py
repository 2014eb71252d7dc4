"""Zone boundaries as the dispatcher draws them: polygons of closed [lon, lat] rings.

A zone is read by every console and by order placement, so what is stored must always read
back. A boundary is taken apart here position by position at exactly the nesting its type
needs (never deeper, so a hostile nesting costs nothing): every number checked finite and on
the globe, every ring closed with at least 4 positions, the whole within a vertex budget.
What is stored is rebuilt from the parsed positions — ``type`` and ``coordinates`` only,
floats, rings wound as RFC 7946 asks — never the client's own object with whatever else it
carried. Whether the polygons are valid geometry is the service's check (shapely).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from dispatchd.domain.errors import FieldError, InvalidInput

MAX_VERTICES = 10_000
KINDS = ("Polygon", "MultiPolygon")
FIX = (
    "send a GeoJSON Polygon or MultiPolygon whose rings are closed arrays of at least 4 "
    "[lon, lat] positions that do not cross themselves"
)

Position = tuple[float, float]
Ring = list[Position]
Rings = list[Ring]


def read_structure(
    raw: Any, field: str = "boundary", *, close_rings: bool = False
) -> tuple[str, list[Rings]]:
    """The type and the polygons' rings of a boundary, checked to be well formed.

    Everything but validity as a geometry: the type, the nesting, the numbers, closed rings of
    at least 4 positions and the vertex budget. Cheap enough to run on every read of a stored
    boundary, which is how a row written by anything else is kept from reaching a response.
    """
    if not isinstance(raw, dict):
        raise error(
            field, "must be a GeoJSON object with type and coordinates; " + FIX, "geojson_object"
        )
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in KINDS:
        raise error(f"{field}.type", 'must be "Polygon" or "MultiPolygon"', "geojson_type")
    coordinates = raw.get("coordinates")
    path = f"{field}.coordinates"
    budget = _Budget(path)
    if kind == "Polygon":
        return kind, [_rings(coordinates, path, budget, close_rings)]
    members = _array(coordinates, path, "an array of polygons (each an array of rings)")
    return kind, [
        _rings(member, f"{path}[{index}]", budget, close_rings)
        for index, member in enumerate(members)
    ]


def geojson(kind: str, polygons: list[Rings]) -> dict[str, Any]:
    """The stored form of a boundary: only type and coordinates, positions as float pairs."""
    as_lists = [[[list(position) for position in ring] for ring in rings] for rings in polygons]
    return {"type": kind, "coordinates": as_lists[0] if kind == "Polygon" else as_lists}


class _Budget:
    """Counts positions across the whole boundary so a huge one is refused before it is walked."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.left = MAX_VERTICES

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise error(
                self.path,
                f"has more than {MAX_VERTICES} positions; simplify the boundary "
                "(a zone needs far fewer points)",
                "too_many_positions",
                {"max": MAX_VERTICES},
            )


def _rings(node: Any, path: str, budget: _Budget, close: bool) -> Rings:
    rings = _array(node, path, "an array of linear rings (the outer ring, then any holes)")
    return [_ring(ring, f"{path}[{index}]", budget, close) for index, ring in enumerate(rings)]


def _ring(node: Any, path: str, budget: _Budget, close: bool) -> Ring:
    members = _array(node, path, "a linear ring: an array of [lon, lat] positions")
    budget.spend(len(members))
    ring = [_position(member, f"{path}[{index}]") for index, member in enumerate(members)]
    if close and ring[0] != ring[-1]:
        budget.spend(1)
        ring.append(ring[0])
    if ring[0] != ring[-1]:
        raise error(
            path, "is not closed; repeat the ring's first position as its last", "ring_not_closed"
        )
    if len(ring) < 4:
        raise error(
            path,
            f"has {len(ring)} positions; a ring needs at least 4 (3 corners and the first "
            "again to close it)",
            "ring_too_short",
            {"count": len(ring)},
        )
    return ring


def _position(node: Any, path: str) -> Position:
    if not isinstance(node, list) or len(node) not in (2, 3):
        raise error(
            path,
            "must be a position [lon, lat] (an optional third number is ignored)",
            "position_shape",
        )
    lon = _degrees(node[0], f"{path}[0]", "longitude", 180)
    lat = _degrees(node[1], f"{path}[1]", "latitude", 90)
    if len(node) == 3 and not _finite(node[2]):
        raise error(
            f"{path}[2]", "must be a finite number (the altitude, which is dropped)", "altitude"
        )
    return (lon, lat)


def _degrees(value: Any, path: str, what: str, limit: int) -> float:
    if not _finite(value) or not -limit <= value <= limit:
        raise error(
            path,
            f"must be a number in -{limit}..{limit} (the {what}, WGS84 degrees)",
            f"{what}_range",
            {"limit": limit},
        )
    return float(value)


def _finite(value: Any) -> bool:
    """A JSON number that is not NaN or infinite (true and false are not numbers here)."""
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _array(node: Any, path: str, what: str) -> list[Any]:
    if not isinstance(node, list) or not node:
        raise error(path, f"must be {what}, not empty", "array_empty")
    return node


def wound(polygons: list[Rings]) -> list[Rings]:
    """Outer rings counter-clockwise, holes clockwise (RFC 7946's right-hand rule)."""
    return [
        [_turned(ring, ccw=index == 0) for index, ring in enumerate(rings)] for rings in polygons
    ]


def _turned(ring: Ring, ccw: bool) -> Ring:
    return ring if _is_ccw(ring) == ccw else ring[::-1]


def _is_ccw(ring: Ring) -> bool:
    """The sign of the shoelace area, taken about the first corner to keep small rings exact."""
    x0, y0 = ring[0]
    twice_area = sum(
        (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        for (x1, y1), (x2, y2) in itertools.pairwise(ring)
    )
    return twice_area > 0


def error(
    path: str,
    message: str,
    code: str = "boundary_invalid",
    params: dict[str, str | int | float] | None = None,
) -> InvalidInput:
    """A refusal of one part of a boundary, named by its path (``boundary.coordinates[0]``)."""
    return InvalidInput([FieldError(path, message, code, params or {})])
