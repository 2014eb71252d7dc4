"""The transactional outbox: messages to the outside world, committed with their cause.

A relay delivers them afterwards with retries; the message id travels with each delivery as
its reference, so a receiver can drop a redelivery after a crash.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from dispatchd.domain.messages import Channel, MessageStatus, OutgoingMessage
from dispatchd.store import tables as t

_INSERT_MESSAGE = t.outbox.insert()


class Outbox:
    """Enqueues messages and tracks their delivery."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.enqueued = 0

    def enqueue(
        self,
        channel: Channel,
        recipient: str,
        payload: dict[str, Any],
        order_id: str | None,
        now: datetime,
    ) -> int:
        """Add a message to be delivered after this transaction commits; returns its id."""
        result = self._conn.execute(
            _INSERT_MESSAGE,
            {
                "channel": channel.value,
                "recipient": recipient,
                "payload": payload,
                "order_id": order_id,
                "status": MessageStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        self.enqueued += 1
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def supersede(self, order_id: str, templates: tuple[str, ...]) -> None:
        """Messages of these kinds still waiting for this order are replaced by a newer one.

        A customer whose window moved twice before the first message went out gets only the
        latest; a message already sent is history and stays as it is.
        """
        self._conn.execute(
            update(t.outbox)
            .where(
                t.outbox.c.order_id == order_id,
                t.outbox.c.status == MessageStatus.PENDING.value,
                t.outbox.c.payload["template"].as_string().in_(templates),
            )
            .values(status=MessageStatus.SUPERSEDED.value)
        )

    def due(self, now: datetime, limit: int) -> list[OutgoingMessage]:
        """Pending messages whose next attempt is due, oldest first."""
        query = (
            select(t.outbox)
            .where(
                t.outbox.c.status == MessageStatus.PENDING.value,
                t.outbox.c.next_attempt_at <= now,
            )
            .order_by(t.outbox.c.next_attempt_at, t.outbox.c.id)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [_message(row) for row in self._conn.execute(query).mappings()]

    def lease(self, message: OutgoingMessage, until: datetime) -> OutgoingMessage:
        """Count an attempt and hide the message until ``until`` while it is being delivered.

        If the deliverer dies, the lease runs out and the message is tried again.
        """
        self._conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id == message.id)
            .values(next_attempt_at=until, attempts=t.outbox.c.attempts + 1)
        )
        return replace(message, attempts=message.attempts + 1, next_attempt_at=until)

    def mark_sent(self, message: OutgoingMessage, now: datetime) -> None:
        """Record a delivery and forget any secret the payload carried."""
        self._conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id == message.id)
            .values(
                status=MessageStatus.SENT.value,
                sent_at=now,
                payload={**message.payload, "sealed": None},
                last_error=None,
            )
        )

    def mark_failed(self, message: OutgoingMessage, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: retry at ``retry_at``, or dead-letter when None."""
        values: dict[str, Any] = {"last_error": error[:2000]}
        if retry_at is None:
            values["status"] = MessageStatus.DEAD.value
            values["payload"] = {**message.payload, "sealed": None}
        else:
            values["next_attempt_at"] = retry_at
        self._conn.execute(update(t.outbox).where(t.outbox.c.id == message.id).values(values))

    def get(self, message_id: int) -> OutgoingMessage | None:
        """One message, or None."""
        found = (
            self._conn.execute(select(t.outbox).where(t.outbox.c.id == message_id))
            .mappings()
            .first()
        )
        return None if found is None else _message(found)

    def backlog(self) -> int:
        """How many messages wait for delivery."""
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(t.outbox)
                .where(t.outbox.c.status == MessageStatus.PENDING.value)
            ).scalar_one()
        )

    def next_attempt_at(self) -> datetime | None:
        """When the earliest pending message is due."""
        return self._conn.execute(
            select(func.min(t.outbox.c.next_attempt_at)).where(
                t.outbox.c.status == MessageStatus.PENDING.value
            )
        ).scalar()


def _message(row: Any) -> OutgoingMessage:
    return OutgoingMessage(
        id=row["id"],
        channel=Channel(row["channel"]),
        recipient=row["recipient"],
        payload=row["payload"],
        order_id=row["order_id"],
        status=MessageStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
    )
