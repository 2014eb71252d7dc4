"""The one source of "now" for the whole package, and a fake one tests can move by hand.

Processes sharing one PostgreSQL tell time by the database's clock (:class:`DatabaseClock`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time."""
        ...


def utcnow() -> datetime:
    """The system's current time in UTC (the only direct read of the wall clock)."""
    return datetime.now(UTC)


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time."""
        return utcnow()


class FakeClock:
    """A clock that stands still until told to move: days of deadlines in milliseconds."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The time the test last set."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward; returns the new time."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to a moment (forward or back, to test clocks that disagree)."""
        with self._lock:
            self._now = moment


class DatabaseClock:
    """The database server's clock, shared by every process on one PostgreSQL.

    A deadline is written by one process and fired by another. If each told time by its own
    clock, a process minutes ahead would fire steps minutes early, and one minutes behind
    would schedule them early. So all of them read the database's clock: once every
    ``resync_s`` seconds, counting the time in between on the local monotonic clock, which no
    wall-clock step can move. Between reads it is off by at most half a round trip plus the
    monotonic clock's drift (microseconds). If the database cannot be read, the last reading
    carries on and a new one is tried a second later.
    """

    def __init__(
        self,
        read_database_time: Callable[[], datetime],
        resync_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read_database_time
        self._resync_s = resync_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._reading: datetime | None = None
        self._read_at = 0.0
        self._next_sync = 0.0
        self._last = datetime.min.replace(tzinfo=UTC)

    def now(self) -> datetime:
        """The database's current time (never earlier than a time this clock already told)."""
        with self._lock:
            tick = self._monotonic()
            if self._reading is None or tick >= self._next_sync:
                self._sync(tick)
            assert self._reading is not None
            moment = self._reading + timedelta(seconds=self._monotonic() - self._read_at)
            self._last = max(self._last, moment)
            return self._last

    def _sync(self, tick: float) -> None:
        try:
            reading = self._read()
        except Exception:
            if self._reading is None:
                raise
            log.warning("cannot read the database clock; counting on from the last reading")
            self._next_sync = tick + 1.0
            return
        after = self._monotonic()
        self._reading = reading
        self._read_at = (tick + after) / 2
        self._next_sync = after + self._resync_s
