"""Keeps this process's map of on-duty installers in step with the database.

Changes made here are applied right after their commit; changes made by other processes are
picked up by a cheap incremental query (installers changed since the last look, with some
overlap) at most once a second, when a dispatch needs the map. Positions reported to this
process move the installer on the map the moment they arrive, before they are saved
(:mod:`dispatchd.service.positions`); a record read from the database never moves anyone back
to an older fix.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from dispatchd.domain.assignment import (
    DEFAULT_RANKING,
    Candidate,
    OrderNeeds,
    Ranking,
    choose_installer,
    weigh,
)
from dispatchd.domain.installers import Installer
from dispatchd.service.geo_index import IndexedInstaller, InstallerIndex
from dispatchd.service.positions import Position, Positions
from dispatchd.service.unit_of_work import UnitOfWork

SYNC_EVERY = timedelta(seconds=1)
OVERLAP = timedelta(seconds=5)
FIRST_LOOK = 4


def indexed(record: Installer) -> IndexedInstaller:
    """The index entry for an installer record."""
    return IndexedInstaller(
        record.id, record.location, frozenset(record.zone_ids), frozenset(record.skills)
    )


class InstallerMap:
    """The in-memory index plus the bookkeeping that keeps it current."""

    def __init__(self, positions: Positions | None = None) -> None:
        self.index = InstallerIndex()
        self.positions = positions or Positions()
        self._lock = threading.Lock()
        self._synced_at: datetime | None = None
        self._checked_at: datetime | None = None

    def apply(self, records: Iterable[Installer]) -> None:
        """Put on-duty installers on the map and take the others off it."""
        for record in records:
            if record.on_duty:
                fresh = self.positions.fresher(record)
                self.index.put(indexed(fresh))
                newest = self.positions.newest(record.id)
                if newest is not None and newest.location != fresh.location:
                    self.index.move(record.id, newest.location)
            else:
                self.index.discard(record.id)

    def moved(self, installer_id: str, position: Position) -> bool:
        """Take a reported position; True when it is the newest known (and on the map now)."""
        if not self.positions.take(installer_id, position):
            return False
        self.index.move(installer_id, position.location)
        return True

    def sync(self, uow: UnitOfWork, now: datetime) -> None:
        """Load everyone on first use; afterwards, whatever changed since the last look."""
        with self._lock:
            if self._checked_at is not None and now - self._checked_at < SYNC_EVERY:
                return
            if self._synced_at is None:
                everyone = uow.installers.find(on_duty=True)
                self.index.replace_all(indexed(self.positions.fresher(r)) for r in everyone)
            else:
                self.apply(uow.installers.changed_since(self._synced_at - OVERLAP))
            self._synced_at = self._checked_at = now

    def candidates(
        self,
        uow: UnitOfWork,
        needs: OrderNeeds,
        now: datetime,
        ranking: Ranking = DEFAULT_RANKING,
    ) -> list[Candidate]:
        """The nearest installers who might take the order, verified against the database.

        The map proposes by distance; the database confirms duty, capacity and workload. The
        search widens until the map is exhausted or nobody farther away could outscore the best
        eligible installer found so far, even idle and top-rated, so the ranking's choice is the
        same as over everyone. Each widening verifies only the installers it adds: within one
        command nothing else changes their stored work-state.
        """
        self.sync(uow, now)
        if uow.installers.touched:
            self.apply(uow.installers.by_ids(sorted(uow.installers.touched)))
        limit = FIRST_LOOK
        verified: dict[str, Candidate] = {}
        while True:
            near = self.index.nearest(
                needs.location, needs.zone_ids, needs.skills, needs.excluded, limit
            )
            new = [i for _, i in near if i not in verified]
            for candidate in uow.installers.candidates_by_id(new, self.positions.locate):
                verified[candidate.installer_id] = candidate
            candidates = [verified[i] for _, i in near if i in verified]
            if len(near) < limit or _nobody_farther_wins(needs, candidates, near, ranking):
                return candidates
            limit *= 8


def _nobody_farther_wins(
    needs: OrderNeeds,
    candidates: list[Candidate],
    near: list[tuple[float, str]],
    ranking: Ranking,
) -> bool:
    """Whether the best eligible candidate seen beats anyone beyond the farthest one looked at."""
    best_id = choose_installer(needs, candidates, ranking)
    if best_id is None:
        return False
    farthest_m = near[-1][0]
    if farthest_m == math.inf:
        return True
    best = weigh(needs, next(c for c in candidates if c.installer_id == best_id), ranking)
    return best.distance_m is not None and best.score <= ranking.best_possible(farthest_m / 1000)
