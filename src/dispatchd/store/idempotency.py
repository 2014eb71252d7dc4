"""Stored first responses, so a retried request with the same ``Idempotency-Key`` does nothing.

The record is written in the same transaction as the change it answers for: either both
exist or neither does. Requests with the same key are serialised by a lock on the key, so a
concurrent duplicate waits for the first request and then replays its answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

from dispatchd.store import tables as t
from dispatchd.store.database import RetryableConflict
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock


@dataclass(frozen=True)
class StoredResponse:
    """The first answer to a keyed request, and the fingerprint of the request."""

    request_hash: str
    status_code: int
    body: str


class DuplicateIdempotencyKey(RetryableConflict):
    """Another transaction stored an answer for this key first: look it up again."""


class IdempotencyRepository:
    """Looks up and records keyed responses per user."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, user_id: str, key: str) -> StoredResponse | None:
        """The stored answer for this user's key, or None.

        On PostgreSQL the key is locked for the rest of the transaction first: a concurrent
        request with the same key waits here until this one has committed its answer.
        """
        advisory_xact_lock(self._conn, AdvisoryLock.IDEMPOTENCY_KEY, f"{user_id}\n{key}")
        row = self._conn.execute(
            select(
                t.idempotency_keys.c.request_hash,
                t.idempotency_keys.c.status_code,
                t.idempotency_keys.c.response,
            ).where(t.idempotency_keys.c.user_id == user_id, t.idempotency_keys.c.key == key)
        ).first()
        return None if row is None else StoredResponse(row[0], row[1], row[2])

    def save(self, user_id: str, key: str, response: StoredResponse, now: datetime) -> None:
        """Record the answer; if another transaction got there first, this one must retry.

        The lock taken in :meth:`get` makes that nearly impossible, but the primary key is
        what guarantees it: the duplicate rolls back and its retry replays the stored answer.
        """
        try:
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
        except IntegrityError as exc:
            raise DuplicateIdempotencyKey(f"idempotency key {key!r} was stored meanwhile") from exc

    def purge_older_than(self, cutoff: datetime) -> None:
        """Forget keys past their retention (clients retry within hours, not weeks)."""
        self._conn.execute(
            delete(t.idempotency_keys).where(t.idempotency_keys.c.created_at < cutoff)
        )
