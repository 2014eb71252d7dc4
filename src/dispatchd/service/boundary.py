"""Zone boundaries checked as geometry: parsed strictly, then found valid by shapely.

The domain reads a boundary's structure (``dispatchd.domain.boundaries``); this adds what
needs a geometry engine — rings that do not cross, holes inside their shell, polygons of a
MultiPolygon that do not overlap — and yields both the shapely geometry to index and the
normalised GeoJSON to store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from shapely.validation import explain_validity

from dispatchd.domain.boundaries import FIX, Rings, error, geojson, read_structure, wound


@dataclass(frozen=True)
class Boundary:
    """A parsed boundary: the shapely geometry to index and the GeoJSON to store."""

    geometry: shapely.Geometry
    geojson: dict[str, Any]


def parse_boundary(raw: Any, field: str = "boundary", *, close_rings: bool = False) -> Boundary:
    """A GeoJSON Polygon or MultiPolygon as a valid geometry, or an error naming the part.

    ``close_rings`` repeats a ring's first position at its end when it was left off: the
    repair of boundaries stored before rings were checked, which shapely used to close
    silently. Requests never set it — an open ring is refused, so the client learns the rule.
    """
    kind, polygons = read_structure(raw, field, close_rings=close_rings)
    shapes = [_polygon_shape(rings) for rings in polygons]
    if kind == "Polygon":
        _require_valid(shapes[0], f"{field}.coordinates", "Polygon")
        geometry: shapely.Geometry = shapes[0]
    else:
        for index, polygon in enumerate(shapes):
            _require_valid(polygon, f"{field}.coordinates[{index}]", "polygon")
        geometry = shapely.MultiPolygon(shapes)
        _require_valid(geometry, f"{field}.coordinates", "MultiPolygon")
    return Boundary(geometry, geojson(kind, wound(polygons)))


def _polygon_shape(rings: Rings) -> shapely.Polygon:
    return shapely.Polygon(rings[0], rings[1:])


def _require_valid(geometry: shapely.Geometry, path: str, what: str) -> None:
    if not geometry.is_valid:
        reason = explain_validity(geometry)
        raise error(
            path, f"is not a valid {what} ({reason}); {FIX}", "invalid_geometry", {"reason": reason}
        )
