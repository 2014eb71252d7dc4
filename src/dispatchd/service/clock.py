"""The one source of "now" for the whole package, and a fake one tests can move by hand."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


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
