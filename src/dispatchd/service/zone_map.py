"""Which zones contain a point: stored GeoJSON boundaries parsed again and indexed with shapely.

The map is rebuilt only when the zones change, so placing an order in its zone costs a
spatial-index probe, not a table scan. A stored boundary that no longer parses (written by
something other than this code) is left out of the map with a warning, rather than making
every order placement fail.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
import structlog
from shapely.strtree import STRtree

from dispatchd.domain.errors import InvalidInput
from dispatchd.domain.geo import Point
from dispatchd.service.boundary import parse_boundary

REMEMBERED_POINTS = 100_000
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Snapshot:
    ids: tuple[str, ...]
    geometries: tuple[shapely.Geometry, ...]
    tree: STRtree | None
    answers: dict[Point, list[str]] = field(default_factory=dict)


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
            pairs = [
                (zone_id, geometry)
                for zone_id, boundary in load()
                if (geometry := _geometry(zone_id, boundary)) is not None
            ]
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
        """Ids of every zone containing the point, smallest area first (most specific).

        An order is placed when it comes in and looked up again at each re-dispatch: the
        answers for the current zones are remembered (a bounded number of points).
        """
        snapshot = self._snapshot
        if snapshot.tree is None:
            return []
        known = snapshot.answers.get(where)
        if known is not None:
            return list(known)
        point = shapely.Point(where.lon, where.lat)
        hits = [int(i) for i in snapshot.tree.query(point, predicate="intersects")]
        hits.sort(key=lambda i: (snapshot.geometries[i].area, snapshot.ids[i]))
        found = [snapshot.ids[i] for i in hits]
        if len(snapshot.answers) >= REMEMBERED_POINTS:
            snapshot.answers.clear()
        snapshot.answers[where] = found
        return list(found)


def _geometry(zone_id: str, boundary: Any) -> shapely.Geometry | None:
    try:
        return parse_boundary(boundary).geometry
    except InvalidInput as exc:
        log.warning("zone left out of order placement", zone_id=zone_id, problem=exc.detail)
        return None
