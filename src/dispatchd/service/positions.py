"""Installers' positions as the soft state they are: the newest one in memory, saved in batches.

A position is only worth its latest value and triggers no event, order change or promise, so
a report does not need a durable transaction of its own. The newest position of each installer
is kept here the moment it arrives (and moved on the map at once); a saver writes every
position not yet saved in one statement about once a second. A crash loses at most that last
second of positions, which the phones send again anyway; nothing order-critical lives here.

Out-of-order reports are ignored both here (a fix older than the newest known) and in the
database (the batch update keeps a stored fix that is newer), so two processes hearing the
same phone cannot move an installer back in time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from dispatchd.domain.geo import Point
from dispatchd.domain.installers import Installer


@dataclass(frozen=True)
class Position:
    """One fix of a phone: where, when it was taken, and how precise it claims to be."""

    location: Point
    at: datetime
    accuracy_m: float | None = None


@dataclass(frozen=True)
class PositionReport:
    """A fix as a phone sent it: ``field`` prefixes its fields' names in errors (``points[3].``),
    ``at`` None means the fix is as old as its arrival."""

    field: str
    location: Point
    accuracy_m: float | None = None
    at: datetime | None = None


def stored_position(record: Installer) -> Position | None:
    """The position an installer record carries, if it has one."""
    if record.location is None or record.location_at is None:
        return None
    return Position(record.location, record.location_at, record.accuracy_m)


class Positions:
    """The newest position heard of each installer, and those of them not yet saved.

    Thread-safe: request threads report, the saver takes the unsaved ones, readers overlay.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._newest: dict[str, Position] = {}
        self._unsaved: dict[str, Position] = {}

    def knows(self, installer_id: str) -> bool:
        """Whether a position of this installer was heard or read here already."""
        return installer_id in self._newest

    def newest(self, installer_id: str) -> Position | None:
        """The newest position known here."""
        return self._newest.get(installer_id)

    def take(self, installer_id: str, position: Position) -> bool:
        """Keep a reported position unless a newer one is known; True when kept.

        A fix as old as the known one is kept, as the database's update does, so a retried
        report is harmless either way.
        """
        with self._lock:
            known = self._newest.get(installer_id)
            if known is not None and known.at > position.at:
                return False
            self._newest[installer_id] = position
            self._unsaved[installer_id] = position
            return True

    def learn(self, installer_id: str, position: Position | None) -> None:
        """Remember a position read from the database, if it is newer than the one known.

        Another process (or a service command) may have stored a newer fix; reports older
        than it are then ignored here too.
        """
        if position is None:
            return
        with self._lock:
            known = self._newest.get(installer_id)
            if known is None or known.at < position.at:
                self._newest[installer_id] = position

    def fresher(self, record: Installer) -> Installer:
        """The record with the newest position known here, which may not be saved yet."""
        self.learn(record.id, stored_position(record))
        newest = self._newest.get(record.id)
        if newest is None or (record.location_at is not None and newest.at < record.location_at):
            return record
        return replace(
            record, location=newest.location, location_at=newest.at, accuracy_m=newest.accuracy_m
        )

    def locate(
        self,
        installer_id: str,
        stored: Point | None,
        stored_at: datetime | None,
        accuracy_m: float | None,
    ) -> Point | None:
        """Where the installer stands: the stored fix, or the newer one heard here."""
        newest = self._newest.get(installer_id)
        if stored is None or stored_at is None or (newest is not None and newest.at >= stored_at):
            return stored if newest is None else newest.location
        self.learn(installer_id, Position(stored, stored_at, accuracy_m))
        return self._newest[installer_id].location

    def unsaved(self) -> dict[str, Position]:
        """Hand over every position not yet saved (the saver's next batch)."""
        with self._lock:
            batch, self._unsaved = self._unsaved, {}
        return batch

    def not_saved(self, batch: dict[str, Position]) -> None:
        """Take back a batch whose save failed, except where a newer fix has come since."""
        with self._lock:
            for installer_id, position in batch.items():
                if installer_id not in self._unsaved:
                    self._unsaved[installer_id] = position

    def pending(self) -> int:
        """How many installers' positions wait to be saved."""
        return len(self._unsaved)
