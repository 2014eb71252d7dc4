"""Zones: the areas installers are responsible for, stored as GeoJSON boundaries.

Every zone read is checked to read back, one row at a time: a row whose boundary does not
parse (marked so by the migration that repaired the stored zones, or written by anything other
than this code) comes back without a boundary and with the reason, so one bad row can neither
break the zone list nor reach a response it cannot be rendered in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Text, cast, delete, func, select, update

from dispatchd.domain.boundaries import geojson, read_structure
from dispatchd.domain.errors import InvalidInput
from dispatchd.domain.orders import OPEN_ORDER_STATUSES
from dispatchd.store import tables as t

_FINGERPRINT = select(func.count(), func.sum(t.zones.c.revision))


@dataclass(frozen=True)
class ZoneRecord:
    """A zone as stored: its boundary, or None and why when the stored one does not read back."""

    id: str
    name: str
    boundary: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    boundary_problem: str | None = None


_LIVE = t.zones.c.deleted_at.is_(None)
_FIELDS = (
    t.zones.c.id,
    t.zones.c.name,
    cast(t.zones.c.boundary, Text).label("boundary"),
    t.zones.c.boundary_problem,
    t.zones.c.created_at,
    t.zones.c.updated_at,
)


class ZoneRepository:
    """Reads and writes zones; the geometry itself is indexed by the zone map."""

    def __init__(self, conn: Connection, flush_orders: Callable[[], None] = lambda: None) -> None:
        self._conn = conn
        self._flush_orders = flush_orders
        self._fingerprint: tuple[int, int] | None = None

    def add(self, zone: ZoneRecord) -> None:
        """Insert a zone."""
        self._conn.execute(t.zones.insert().values(**zone.__dict__, revision=self._next_revision()))

    def get(self, zone_id: str) -> ZoneRecord | None:
        """One zone, or None."""
        row = (
            self._conn.execute(select(*_FIELDS).where(t.zones.c.id == zone_id, _LIVE))
            .mappings()
            .first()
        )
        return None if row is None else _record(row)

    def all(self) -> list[ZoneRecord]:
        """Every zone, by name."""
        rows = self._conn.execute(
            select(*_FIELDS).where(_LIVE).order_by(t.zones.c.name, t.zones.c.id)
        )
        return [_record(row) for row in rows.mappings()]

    def existing(self, zone_ids: list[str]) -> set[str]:
        """Which of these ids name a zone."""
        if not zone_ids:
            return set()
        rows = self._conn.execute(select(t.zones.c.id).where(t.zones.c.id.in_(zone_ids), _LIVE))
        return set(rows.scalars())

    def update(self, zone_id: str, values: dict[str, Any]) -> None:
        """Change a zone's name or boundary (a new boundary clears a stored problem)."""
        if "boundary" in values:
            values = {**values, "boundary_problem": None}
        self._conn.execute(
            update(t.zones)
            .where(t.zones.c.id == zone_id)
            .values(**values, revision=self._next_revision())
        )

    def open_orders(self, zone_id: str) -> int:
        """How many open orders lie in the zone (a zone with open orders cannot go)."""
        statuses = [status.value for status in OPEN_ORDER_STATUSES]
        self._flush_orders()
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(t.orders)
                .where(t.orders.c.zone_id == zone_id, t.orders.c.status.in_(statuses))
            ).scalar_one()
        )

    def delete(self, zone_id: str, now: datetime) -> None:
        """Retire a zone and unlink it from installers and managers.

        The row stays (marked deleted) so that finished orders keep naming their zone.
        """
        self._conn.execute(delete(t.installer_zones).where(t.installer_zones.c.zone_id == zone_id))
        self._conn.execute(delete(t.user_zones).where(t.user_zones.c.zone_id == zone_id))
        self.update(zone_id, {"deleted_at": now})

    def fingerprint(self) -> tuple[int, int]:
        """Changes whenever a zone is added, edited or removed: tells caches to reload.

        Read once per unit of work, unless the unit itself changes a zone. Every change raises
        one zone's revision, so the sum of revisions grows with each commit — even when two
        processes editing two zones at once chose the same new revision number, which would
        leave the maximum unchanged by the second commit and another process's map stale.
        """
        if self._fingerprint is None:
            count, total = self._conn.execute(_FINGERPRINT).one()
            self._fingerprint = (int(count), int(total or 0))
        return self._fingerprint

    def _next_revision(self) -> int:
        self._fingerprint = None
        return int(self._conn.execute(select(func.max(t.zones.c.revision))).scalar() or 0) + 1


def _record(row: RowMapping) -> ZoneRecord:
    boundary, reason = readable_boundary(row["boundary"], row["boundary_problem"])
    problem = None
    if reason is not None:
        problem = (
            f"{reason}; redraw the zone with PATCH /api/v1/zones/{row['id']} — until then no "
            "order is placed in it"
        )
    return ZoneRecord(
        row["id"],
        row["name"],
        boundary,
        row["created_at"],
        row["updated_at"],
        problem,
    )


def readable_boundary(
    stored: str | None, marked: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The stored boundary as it reads back (normalised again), or None and the reason.

    ``marked`` is the problem the zone repair recorded for a boundary it could not repair.
    """
    if marked is not None:
        return None, marked
    try:
        kind, polygons = read_structure(json.loads(stored or "null"))
    except (ValueError, RecursionError) as exc:
        return None, f"the stored boundary is not readable JSON ({type(exc).__name__})"
    except InvalidInput as exc:
        return None, f"the stored boundary does not read back ({exc.detail})"
    return geojson(kind, polygons), None
