"""The arrival window agreed with the customer ([0063]: the installer calls them first).

A window starts in the future, ends after it starts and lasts at most the policy's
``max_window_s``. Moving a window already set needs a reason, and the moves are counted: the
customer is told each time, and a dispatcher sees who keeps moving appointments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatchd.domain.errors import FieldError


@dataclass(frozen=True)
class Appointment:
    """The window, when it was (last) set, and how often it moved."""

    window_start: datetime
    window_end: datetime
    set_at: datetime
    moves: int = 0


def window_errors(
    start: datetime, end: datetime, now: datetime, max_window_s: int
) -> list[FieldError]:
    """Every reason the window cannot be agreed, each naming its field and the fix."""
    errors: list[FieldError] = []
    if start <= now:
        errors.append(
            FieldError(
                "window_start",
                "lies in the past; agree a window that starts later",
                "window_in_past",
            )
        )
    if end <= start:
        errors.append(
            FieldError("window_end", "must be after window_start", "window_end_before_start")
        )
    elif (end - start).total_seconds() > max_window_s:
        hours = max_window_s / 3600
        length = (end - start).total_seconds() / 3600
        errors.append(
            FieldError(
                "window_end",
                f"makes the window {length:g} h long; at most "
                f"{hours:g} h is allowed (policy max_window_s)",
                "window_too_long",
                {"hours": round(length, 2), "max_hours": round(hours, 2)},
            )
        )
    return errors
