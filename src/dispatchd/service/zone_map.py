"""Which zones contain a point: GeoJSON boundaries validated and indexed with shapely.

The map is rebuilt only when the zones change, so placing an order in its zone costs a
spatial-index probe, not a table scan.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree
from shapely.validation import explain_validity

from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.geo import Point

MAX_POSITIONS = 100_000


def parse_boundary(raw: Any, field: str = "boundary") -> shapely.Geometry:
    """A GeoJSON Polygon or MultiPolygon as a valid shapely geometry, or a clear error."""
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput([FieldError(f"{field}.type", "must be Polygon or MultiPolygon")])
    positions = _positions(raw.get("coordinates"), field)
    if len(positions) > MAX_POSITIONS:
        raise InvalidInput([FieldError(field, f"has more than {MAX_POSITIONS} positions")])
    for index, (lon, lat) in enumerate(positions):
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(
                [
                    FieldError(
                        f"{field}.coordinates",
                        f"position {index} is [{lon}, {lat}]; positions are [lon, lat] with "
                        "lon in -180..180 and lat in -90..90",
                    )
                ]
            )
    try:
        geometry = shape(raw)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise InvalidInput(
            [FieldError(f"{field}.coordinates", f"is not a usable {raw['type']}: {exc}")]
        ) from exc
    if geometry.is_empty or not geometry.is_valid:
        reason = "it is empty" if geometry.is_empty else explain_validity(geometry)
        raise InvalidInput(
            [
                FieldError(
                    f"{field}.coordinates",
                    f"is not a valid {raw['type']} ({reason}); rings must be closed, "
                    "have at least 4 positions and not cross themselves",
                )
            ]
        )
    return geometry


def _positions(coordinates: Any, field: str) -> list[tuple[float, float]]:
    """Every [lon, lat] pair in nested GeoJSON coordinates, checked to be numbers."""
    found: list[tuple[float, float]] = []

    def walk(node: Any) -> None:
        if (
            isinstance(node, list | tuple)
            and node
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in node)
        ):
            if len(node) < 2:
                raise InvalidInput(
                    [FieldError(f"{field}.coordinates", "positions need [lon, lat]")]
                )
            found.append((float(node[0]), float(node[1])))
        elif isinstance(node, list | tuple) and node:
            for child in node:
                walk(child)
        else:
            raise InvalidInput(
                [FieldError(f"{field}.coordinates", "must be nested arrays of [lon, lat] numbers")]
            )

    walk(coordinates)
    return found


@dataclass(frozen=True)
class _Snapshot:
    ids: tuple[str, ...]
    geometries: tuple[shapely.Geometry, ...]
    tree: STRtree | None


class ZoneMap:
    """An STR-tree over zone boundaries, reloaded when the zones' fingerprint changes.

    Lookups read one immutable snapshot, so a reload on another thread never mixes old and
    new zones in one answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: object = None
        self._snapshot = _Snapshot((), (), None)

    def refresh(self, fingerprint: object, load: Callable[[], Iterable[tuple[str, Any]]]) -> None:
        """Rebuild from ``load()`` (id, GeoJSON) pairs unless the fingerprint is unchanged."""
        if fingerprint == self._fingerprint:
            return
        with self._lock:
            if fingerprint == self._fingerprint:
                return
            pairs = [(zone_id, shape(boundary)) for zone_id, boundary in load()]
            geometries = tuple(geometry for _, geometry in pairs)
            for geometry in geometries:
                shapely.prepare(geometry)
            self._snapshot = _Snapshot(
                tuple(zone_id for zone_id, _ in pairs),
                geometries,
                STRtree(geometries) if geometries else None,
            )
            self._fingerprint = fingerprint

    def containing(self, where: Point) -> list[str]:
        """Ids of every zone containing the point, smallest area first (most specific)."""
        snapshot = self._snapshot
        if snapshot.tree is None:
            return []
        point = shapely.Point(where.lon, where.lat)
        hits = [int(i) for i in snapshot.tree.query(point, predicate="intersects")]
        hits.sort(key=lambda i: (snapshot.geometries[i].area, snapshot.ids[i]))
        return [snapshot.ids[i] for i in hits]
