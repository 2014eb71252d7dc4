"""Installers and their work-state: zones, duty, position, capacity, skills and workload."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    bindparam,
    delete,
    func,
    select,
    text,
    union_all,
    update,
)

from dispatchd.domain.assignment import Candidate
from dispatchd.domain.geo import Point
from dispatchd.domain.installers import Installer
from dispatchd.domain.offers import ACTIVE_OFFER_STATUSES
from dispatchd.domain.orders import HELD_STATUSES
from dispatchd.domain.ratings import RatingSummary
from dispatchd.store import tables as t
from dispatchd.store.candidate_rows import Locate, read_candidates
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock
from dispatchd.store.types import to_micros

BUSY_ORDER_STATUSES = tuple(sorted(status.value for status in HELD_STATUSES))
ACTIVE_OFFERS = tuple(status.value for status in ACTIVE_OFFER_STATUSES)

# Built once and reused: SQLAlchemy then neither rebuilds nor re-keys them on each dispatch.
_BY_ID = select(t.installers).where(t.installers.c.id == bindparam("id"))
_BY_IDS = select(t.installers).where(t.installers.c.id.in_(bindparam("ids", expanding=True)))
_CHANGED_SINCE = select(t.installers).where(t.installers.c.changed_at >= bindparam("moment"))
_ZONES_OF = (
    select(t.installer_zones)
    .where(t.installer_zones.c.installer_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.installer_zones.c.zone_id)
)
_WORKLOAD = union_all(
    select(t.offers.c.installer_id.label("installer_id"), func.count().label("n"))
    .where(
        t.offers.c.installer_id.in_(bindparam("ids", expanding=True)),
        t.offers.c.status.in_(ACTIVE_OFFERS),
    )
    .group_by(t.offers.c.installer_id),
    select(t.orders.c.installer_id.label("installer_id"), func.count().label("n"))
    .where(
        t.orders.c.installer_id.in_(bindparam("ids", expanding=True)),
        t.orders.c.status.in_(BUSY_ORDER_STATUSES),
    )
    .group_by(t.orders.c.installer_id),
)
_RATINGS = (
    select(
        t.orders.c.installer_id,
        func.avg(t.orders.c.rating_stars),
        func.count(t.orders.c.rating_stars),
    )
    .where(
        t.orders.c.installer_id.in_(bindparam("ids", expanding=True)),
        t.orders.c.rating_stars.is_not(None),
    )
    .group_by(t.orders.c.installer_id)
)
_SET_LOCATION = (
    update(t.installers)
    .where(
        t.installers.c.id == bindparam("installer_id"),
        t.installers.c.location_at.is_(None) | (t.installers.c.location_at <= bindparam("at")),
    )
    .values(
        lat=bindparam("lat"),
        lon=bindparam("lon"),
        location_at=bindparam("at"),
        accuracy_m=bindparam("accuracy_m"),
        changed_at=bindparam("now"),
    )
)

_SAVE_POSITIONS_PG = text(
    """
    UPDATE installers AS i
    SET lat = v.lat, lon = v.lon, accuracy_m = v.accuracy_m, location_at = v.at,
        changed_at = :now
    FROM unnest(
        CAST(:ids AS varchar[]), CAST(:lats AS float8[]), CAST(:lons AS float8[]),
        CAST(:accuracies AS float8[]), CAST(:ats AS bigint[])
    ) AS v(id, lat, lon, accuracy_m, at)
    WHERE i.id = v.id AND (i.location_at IS NULL OR i.location_at <= v.at)
    """
)


@dataclass(frozen=True)
class SavedPosition:
    """One installer's position as the batch save writes it."""

    installer_id: str
    location: Point
    at: datetime
    accuracy_m: float | None


class InstallerRepository:
    """Reads and writes installers; counts workload from offers and jobs, never a counter."""

    def __init__(self, conn: Connection, flush_orders: Callable[[], None] = lambda: None) -> None:
        self._conn = conn
        self._flush_orders = flush_orders
        self.touched: set[str] = set()

    def add(self, record: Installer) -> None:
        """Insert an installer and link their zones."""
        self._conn.execute(
            t.installers.insert().values(
                id=record.id,
                name=record.name,
                phone=record.phone,
                capacity=record.capacity,
                skills=record.skills,
                on_duty=record.on_duty,
                created_at=record.created_at,
                changed_at=record.created_at,
            )
        )
        self._link_zones(record.id, record.zone_ids)
        self.touched.add(record.id)

    def get(self, installer_id: str) -> Installer | None:
        """One installer, or None."""
        records = self._load(_BY_ID, {"id": installer_id})
        return records[0] if records else None

    def find(
        self, zone_ids: Iterable[str] | None = None, on_duty: bool | None = None
    ) -> list[Installer]:
        """Installers, optionally only those serving any of ``zone_ids`` or of a duty state."""
        query = select(t.installers).order_by(t.installers.c.name, t.installers.c.id)
        if zone_ids is not None:
            serving = select(t.installer_zones.c.installer_id).where(
                t.installer_zones.c.zone_id.in_(list(zone_ids))
            )
            query = query.where(t.installers.c.id.in_(serving))
        if on_duty is not None:
            query = query.where(t.installers.c.on_duty.is_(on_duty))
        return self._load(query)

    def update(self, installer_id: str, values: dict[str, Any], now: datetime) -> None:
        """Change stored fields; ``zone_ids`` replaces the installer's zones."""
        values = dict(values)
        zone_ids = values.pop("zone_ids", None)
        self._conn.execute(
            update(t.installers)
            .where(t.installers.c.id == installer_id)
            .values(**values, changed_at=now)
        )
        self.touched.add(installer_id)
        if zone_ids is not None:
            self._conn.execute(
                delete(t.installer_zones).where(t.installer_zones.c.installer_id == installer_id)
            )
            self._link_zones(installer_id, zone_ids)

    def set_location(
        self,
        installer_id: str,
        where: Point,
        at: datetime,
        accuracy_m: float | None,
        now: datetime,
    ) -> bool:
        """Record a position unless a newer one is already known; True when stored."""
        result = self._conn.execute(
            _SET_LOCATION,
            {
                "installer_id": installer_id,
                "at": at,
                "lat": where.lat,
                "lon": where.lon,
                "accuracy_m": accuracy_m,
                "now": now,
            },
        )
        self.touched.add(installer_id)
        return result.rowcount == 1

    def save_positions(self, batch: list[SavedPosition], now: datetime) -> None:
        """Save many installers' positions in one statement, each unless a newer one is stored.

        PostgreSQL updates from ``unnest`` of the batch's columns (one round trip); SQLite
        runs one prepared update over the batch (executemany). The installers are not marked
        touched: their positions are on this process's map already, and other processes see
        them through ``changed_at``.
        """
        if not batch:
            return
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(
                _SAVE_POSITIONS_PG,
                {
                    "ids": [p.installer_id for p in batch],
                    "lats": [p.location.lat for p in batch],
                    "lons": [p.location.lon for p in batch],
                    "accuracies": [p.accuracy_m for p in batch],
                    "ats": [to_micros(p.at) for p in batch],
                    "now": to_micros(now),
                },
            )
            return
        self._conn.execute(
            _SET_LOCATION,
            [
                {
                    "installer_id": p.installer_id,
                    "at": p.at,
                    "lat": p.location.lat,
                    "lon": p.location.lon,
                    "accuracy_m": p.accuracy_m,
                    "now": now,
                }
                for p in batch
            ],
        )

    def changed_since(self, moment: datetime) -> list[Installer]:
        """Installers changed at or after ``moment`` (how other processes' changes are seen)."""
        return self._load(_CHANGED_SINCE, {"moment": moment})

    def by_ids(self, installer_ids: list[str]) -> list[Installer]:
        """These installers, as stored now."""
        if not installer_ids:
            return []
        return self._load(_BY_IDS, {"ids": installer_ids})

    def candidates_by_id(
        self, installer_ids: list[str], locate: Locate | None = None
    ) -> list[Candidate]:
        """These installers' work-state as stored now, in the order given, in one statement.

        ``locate`` may give an installer a newer position than the one saved (positions are
        saved in batches, see :mod:`dispatchd.service.positions`).
        """
        if not installer_ids:
            return []
        self._flush_orders()
        return read_candidates(self._conn, installer_ids, locate)

    def active_jobs(self, installer_ids: Iterable[str]) -> dict[str, int]:
        """Workload per installer: offers waiting for them plus jobs accepted or in progress."""
        ids = list(installer_ids)
        if not ids:
            return {}
        self._flush_orders()
        counts = dict.fromkeys(ids, 0)
        for installer_id, n in self._conn.execute(_WORKLOAD, {"ids": ids}):
            counts[installer_id] += n
        return counts

    def ratings(self, installer_ids: Iterable[str]) -> dict[str, RatingSummary]:
        """Each rated installer's customers' ratings: average and count (unrated: absent)."""
        ids = list(installer_ids)
        if not ids:
            return {}
        self._flush_orders()
        return {
            installer_id: RatingSummary(float(average), int(count))
            for installer_id, average, count in self._conn.execute(_RATINGS, {"ids": ids})
        }

    def average_ratings(self, installer_ids: Iterable[str]) -> dict[str, float]:
        """The average rating of each rated installer, as the ranking weighs it."""
        return {key: summary.average for key, summary in self.ratings(installer_ids).items()}

    def recount_under_lock(self, installer_id: str) -> int | None:
        """The installer's workload, counted again while no one else may offer them a job.

        On PostgreSQL two transactions could each count a free slot and both fill it; the lock
        (held until commit) makes the second wait for the first and then count its offer.
        None on SQLite, where writers take turns and the earlier count is still current.
        """
        if self._conn.dialect.name != "postgresql":
            return None
        advisory_xact_lock(self._conn, AdvisoryLock.INSTALLER_WORKLOAD, installer_id)
        return self.active_jobs([installer_id])[installer_id]

    def balances(self, installer_ids: Iterable[str]) -> dict[str, int]:
        """Ledger balance per installer (the sum of their entries)."""
        ids = list(installer_ids)
        balances = dict.fromkeys(ids, 0)
        if not ids:
            return balances
        rows = self._conn.execute(
            select(t.ledger_entries.c.installer_id, func.sum(t.ledger_entries.c.amount))
            .where(t.ledger_entries.c.installer_id.in_(ids))
            .group_by(t.ledger_entries.c.installer_id)
        )
        for installer_id, total in rows:
            balances[installer_id] = int(total or 0)
        return balances

    def candidates(self, zone_ids: Iterable[str]) -> list[Candidate]:
        """On-duty installers serving any of these zones, with their current workload."""
        records = self.find(zone_ids=zone_ids, on_duty=True)
        ids = [record.id for record in records]
        workload = self.active_jobs(ids)
        ratings = self.average_ratings(ids)
        return [
            record.as_candidate(workload[record.id], ratings.get(record.id)) for record in records
        ]

    def _link_zones(self, installer_id: str, zone_ids: Iterable[str]) -> None:
        rows = [{"installer_id": installer_id, "zone_id": z} for z in dict.fromkeys(zone_ids)]
        if rows:
            self._conn.execute(t.installer_zones.insert(), rows)

    def _load(self, query: Any, params: dict[str, Any] | None = None) -> list[Installer]:
        rows = list(self._conn.execute(query, params).mappings())
        if not rows:
            return []
        zones = self._zones_of([row["id"] for row in rows])
        return [_record(row, zones[row["id"]]) for row in rows]

    def _zones_of(self, installer_ids: list[str]) -> dict[str, list[str]]:
        zones: dict[str, list[str]] = {installer_id: [] for installer_id in installer_ids}
        if zones:
            for installer_id, zone_id in self._conn.execute(_ZONES_OF, {"ids": installer_ids}):
                zones[installer_id].append(zone_id)
        return zones


def _record(row: RowMapping, zone_ids: list[str]) -> Installer:
    location = None if row["lat"] is None else Point(row["lat"], row["lon"])
    return Installer(
        id=row["id"],
        name=row["name"],
        phone=row["phone"],
        capacity=row["capacity"],
        skills=list(row["skills"]),
        on_duty=bool(row["on_duty"]),
        zone_ids=zone_ids,
        created_at=row["created_at"],
        location=location,
        location_at=row["location_at"],
        accuracy_m=row["accuracy_m"],
    )
