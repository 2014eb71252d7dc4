"""Counting attempts that invite guessing (log-ins, tracking links) in fixed windows.

Time is cut into windows of a fixed length aligned to the Unix epoch, so every process that
shares a database agrees on which window a moment belongs to without talking to the others.
A counter allows ``limit`` attempts per key in one window; an attempt refused because its
window is full waits only until that window ends, so a lock-out is always over within one
window and can never last longer, however long someone keeps trying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dispatchd.domain.errors import DomainError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AttemptLimit:
    """How many attempts one key may make in one window of a scope (e.g. per address)."""

    scope: str
    limit: int
    window_s: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s < 1:
            raise ValueError(
                f"an attempt limit needs limit >= 1 and window_s >= 1, got "
                f"limit={self.limit} and window_s={self.window_s}"
            )


@dataclass(frozen=True)
class Window:
    """One fixed window: attempts at ``start <= moment < end`` are counted together."""

    start: datetime
    end: datetime

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1): the ``Retry-After`` answer."""
        return max(1, math.ceil((self.end - now).total_seconds()))


def window_at(now: datetime, window_s: int) -> Window:
    """The window of ``window_s`` seconds that holds ``now``."""
    elapsed_us = (now - EPOCH) // timedelta(microseconds=1)
    length_us = window_s * 1_000_000
    start = EPOCH + timedelta(microseconds=elapsed_us - elapsed_us % length_us)
    return Window(start, start + timedelta(seconds=window_s))


@dataclass(frozen=True)
class Counted:
    """One place an attempt took in one counter, so a success can give exactly it back."""

    scope: str
    key: str
    window_start: datetime


class TooManyAttempts(DomainError):
    """A key has used up its attempts in the current window (a 429 with ``Retry-After``)."""

    def __init__(self, scope: str, retry_after_s: int) -> None:
        self.scope = scope
        self.retry_after_s = retry_after_s
        super().__init__(
            f"too many attempts ({scope}); wait {retry_after_s} seconds before trying again"
        )
