"""The one way times are written for people and clients: RFC 3339 in UTC with milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(moment: datetime) -> str:
    """``2026-11-25T10:49:49.123Z``: what API.md promises for every time field."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def rfc3339_or_none(moment: datetime | None) -> str | None:
    """:func:`rfc3339` that passes ``None`` through, for optional timestamps."""
    return None if moment is None else rfc3339(moment)


def parse_rfc3339(text: str) -> datetime:
    """The moment an :func:`rfc3339` string names, as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
