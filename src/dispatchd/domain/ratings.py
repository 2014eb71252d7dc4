"""The customer's rating of a finished job, and what an installer's ratings add up to.

A customer rates a job once, after it is completed, from one to five stars with an optional
comment. The ratings of an installer's jobs give the average the ranking weighs
(``domain/assignment.py``): a low rating also asks a manager to call the customer back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatchd.domain.errors import FieldError, InvalidInput

MIN_STARS = 1
MAX_STARS = 5
MAX_COMMENT = 1000
FOLLOW_UP_BELOW = 3


@dataclass(frozen=True)
class Rating:
    """One job's rating by its customer."""

    stars: int
    comment: str | None
    at: datetime

    @property
    def needs_follow_up(self) -> bool:
        """One or two stars: a manager should hear the customer out."""
        return self.stars < FOLLOW_UP_BELOW


@dataclass(frozen=True)
class RatingSummary:
    """An installer's ratings so far: their mean and how many there are."""

    average: float
    count: int


def new_rating(stars: int, comment: str | None, now: datetime) -> Rating:
    """A rating as given, checked: whole stars from 1 to 5, a comment of bounded length."""
    errors = []
    if isinstance(stars, bool) or not MIN_STARS <= stars <= MAX_STARS:
        errors.append(
            FieldError(
                "stars",
                f"give {MIN_STARS} to {MAX_STARS} whole stars",
                "stars_range",
                {"min": MIN_STARS, "max": MAX_STARS},
            )
        )
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        errors.append(
            FieldError(
                "comment",
                f"shorten the comment to at most {MAX_COMMENT} characters",
                "string_too_long",
                {"max_length": MAX_COMMENT},
            )
        )
    if errors:
        raise InvalidInput(errors)
    return Rating(stars, text, now)
