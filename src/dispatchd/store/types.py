"""Column types that behave the same on SQLite and PostgreSQL.

Times are stored as integer microseconds since the Unix epoch: exact, cheap to compare and
index, and free of each database's own ideas about time zones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Dialect, Integer
from sqlalchemy.types import TypeDecorator

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime; naive ones are refused."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: dispatchd keeps every time zone-aware in UTC")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime for microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=micros)


class UtcTime(TypeDecorator[datetime]):
    """An aware UTC datetime stored as BIGINT microseconds."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        """Aware datetime to microseconds."""
        return None if value is None else to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Microseconds back to an aware datetime."""
        return None if value is None else from_micros(int(value))
