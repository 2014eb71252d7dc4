"""Stored first responses, so a retried request with the same ``Idempotency-Key`` does nothing.

The record is written in the same transaction as the change it answers for: either both
exist or neither does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from dispatchd.store import tables as t


@dataclass(frozen=True)
class StoredResponse:
    """The first answer to a keyed request, and the fingerprint of the request."""

    request_hash: str
    status_code: int
    body: str


class IdempotencyRepository:
    """Looks up and records keyed responses per user."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, user_id: str, key: str) -> StoredResponse | None:
        """The stored answer for this user's key, or None."""
        row = self._conn.execute(
            select(
                t.idempotency_keys.c.request_hash,
                t.idempotency_keys.c.status_code,
                t.idempotency_keys.c.response,
            ).where(t.idempotency_keys.c.user_id == user_id, t.idempotency_keys.c.key == key)
        ).first()
        return None if row is None else StoredResponse(row[0], row[1], row[2])

    def save(self, user_id: str, key: str, response: StoredResponse, now: datetime) -> None:
        """Record the answer (a concurrent duplicate fails on the primary key and rolls back)."""
        self._conn.execute(
            t.idempotency_keys.insert().values(
                user_id=user_id,
                key=key,
                request_hash=response.request_hash,
                status_code=response.status_code,
                response=response.body,
                created_at=now,
            )
        )

    def purge_older_than(self, cutoff: datetime) -> None:
        """Forget keys past their retention (clients retry within hours, not weeks)."""
        self._conn.execute(
            delete(t.idempotency_keys).where(t.idempotency_keys.c.created_at < cutoff)
        )
