"""The on-duty installers on a map, in memory: nearest candidates in microseconds.

Installers are kept in a grid of cells about a kilometre across. A search walks outward ring
by ring from the order's cell and stops as soon as no unvisited cell can hold anyone nearer
than the candidates already found. The index answers only "who is near and could serve this
zone with these skills"; workload and capacity are checked against the database by the
caller, so a stale entry can cost a candidate, never a wrong assignment.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from dispatchd.domain.geo import EARTH_RADIUS_M, Point, distance_m

CELL_DEG = 0.004
METRES_PER_DEG = math.pi * EARTH_RADIUS_M / 180
MAX_RINGS = 10_000


@dataclass(frozen=True)
class IndexedInstaller:
    """What the index knows of an on-duty installer."""

    installer_id: str
    location: Point | None
    zone_ids: frozenset[str]
    skills: frozenset[str]


def _cell(point: Point) -> tuple[int, int]:
    return (math.floor(point.lat / CELL_DEG), math.floor(point.lon / CELL_DEG))


class InstallerIndex:
    """A grid of on-duty installers; thread-safe, updated as duty and positions change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, IndexedInstaller] = {}
        self._cells: dict[tuple[int, int], set[str]] = {}
        self._unplaced: set[str] = set()
        self._bounds: tuple[int, int, int, int] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def has(self, installer_id: str) -> bool:
        """Whether the installer is on the map (on duty, as far as this process knows)."""
        return installer_id in self._entries

    def put(self, entry: IndexedInstaller) -> None:
        """Add or move an on-duty installer."""
        with self._lock:
            self._remove(entry.installer_id)
            self._entries[entry.installer_id] = entry
            if entry.location is None:
                self._unplaced.add(entry.installer_id)
            else:
                cell = _cell(entry.location)
                self._cells.setdefault(cell, set()).add(entry.installer_id)
                self._widen_bounds(cell)

    def move(self, installer_id: str, location: Point) -> bool:
        """Move an installer already on the map; False (and nothing done) when they are not."""
        with self._lock:
            entry = self._entries.get(installer_id)
            if entry is None:
                return False
            self._remove(installer_id)
            moved = IndexedInstaller(installer_id, location, entry.zone_ids, entry.skills)
            self._entries[installer_id] = moved
            cell = _cell(location)
            self._cells.setdefault(cell, set()).add(installer_id)
            self._widen_bounds(cell)
            return True

    def discard(self, installer_id: str) -> None:
        """Forget an installer (off duty, or gone)."""
        with self._lock:
            self._remove(installer_id)

    def replace_all(self, entries: Iterable[IndexedInstaller]) -> None:
        """Start over from a full list (at start-up, or after losing track)."""
        with self._lock:
            self._entries.clear()
            self._cells.clear()
            self._unplaced.clear()
            self._bounds = None
        for entry in entries:
            self.put(entry)

    def nearest(
        self,
        where: Point,
        zone_ids: frozenset[str],
        skills: frozenset[str],
        excluded: frozenset[str],
        limit: int,
    ) -> list[tuple[float, str]]:
        """Up to ``limit`` (distance in metres, id) of matching installers, nearest first.

        Installers whose position is unknown come last, at infinite distance.
        """
        with self._lock:
            found = self._search(where, zone_ids, skills, excluded, limit)
            if len(found) < limit:
                extra = sorted(
                    i for i in self._unplaced if self._matches(i, zone_ids, skills, excluded)
                )
                found.extend((math.inf, i) for i in extra[: limit - len(found)])
        return found

    def _search(
        self,
        where: Point,
        zone_ids: frozenset[str],
        skills: frozenset[str],
        excluded: frozenset[str],
        limit: int,
    ) -> list[tuple[float, str]]:
        """Ring search ranked by a flat-earth distance, exact (haversine) for the answer.

        Within the few kilometres a search spans, the equirectangular approximation orders
        candidates as the great circle does, at a fraction of the cost.
        """
        if self._bounds is None:
            return []
        row, col = _cell(where)
        low_row, high_row, low_col, high_col = self._bounds
        last_ring = max(
            abs(row - low_row), abs(row - high_row), abs(col - low_col), abs(col - high_col)
        )
        squeeze = max(0.05, math.cos(math.radians(where.lat)))
        entries = self._entries
        best: list[tuple[float, str]] = []
        visited = 0
        for ring in range(min(MAX_RINGS, last_ring + 1)):
            visited += max(1, 8 * ring)
            if visited > len(entries) + 64:
                return self._scan(where, zone_ids, skills, excluded, limit)
            for cell in _ring(row, col, ring):
                members = self._cells.get(cell)
                if not members:
                    continue
                for installer_id in members:
                    entry = entries[installer_id]
                    if (
                        installer_id in excluded
                        or entry.zone_ids.isdisjoint(zone_ids)
                        or not skills <= entry.skills
                    ):
                        continue
                    location = entry.location
                    assert location is not None
                    dy = location.lat - where.lat
                    dx = (location.lon - where.lon) * squeeze
                    item = (-(dx * dx + dy * dy), installer_id)
                    if len(best) < limit:
                        heapq.heappush(best, item)
                    elif item > best[0]:
                        heapq.heapreplace(best, item)
            reach = ring * CELL_DEG * squeeze
            if len(best) == limit and -best[0][0] <= reach * reach:
                break
        exact = [(distance_m(where, entries[i].location), i) for _, i in best]  # type: ignore[arg-type]
        return sorted(exact)

    def _scan(
        self,
        where: Point,
        zone_ids: frozenset[str],
        skills: frozenset[str],
        excluded: frozenset[str],
        limit: int,
    ) -> list[tuple[float, str]]:
        """Every placed installer, for sparse maps where walking empty cells costs more."""
        matching = (
            (distance_m(where, entry.location), installer_id)
            for installer_id, entry in self._entries.items()
            if entry.location is not None
            and self._matches(installer_id, zone_ids, skills, excluded)
        )
        return heapq.nsmallest(limit, matching)

    def _matches(
        self,
        installer_id: str,
        zone_ids: frozenset[str],
        skills: frozenset[str],
        excluded: frozenset[str],
    ) -> bool:
        entry = self._entries[installer_id]
        return (
            installer_id not in excluded
            and not entry.zone_ids.isdisjoint(zone_ids)
            and skills <= entry.skills
        )

    def _widen_bounds(self, cell: tuple[int, int]) -> None:
        row, col = cell
        if self._bounds is None:
            self._bounds = (row, row, col, col)
            return
        low_row, high_row, low_col, high_col = self._bounds
        self._bounds = (
            min(low_row, row),
            max(high_row, row),
            min(low_col, col),
            max(high_col, col),
        )

    def _remove(self, installer_id: str) -> None:
        entry = self._entries.pop(installer_id, None)
        if entry is None:
            return
        if entry.location is None:
            self._unplaced.discard(installer_id)
            return
        cell = _cell(entry.location)
        members = self._cells.get(cell)
        if members is not None:
            members.discard(installer_id)
            if not members:
                del self._cells[cell]


def _ring(row: int, col: int, ring: int) -> Iterable[tuple[int, int]]:
    if ring == 0:
        yield (row, col)
        return
    for d in range(-ring, ring + 1):
        yield (row - ring, col + d)
        yield (row + ring, col + d)
    for d in range(-ring + 1, ring):
        yield (row + d, col - ring)
        yield (row + d, col + ring)
