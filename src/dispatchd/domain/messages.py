"""Outgoing messages: what leaves the system (a customer's SMS, a phone's push), and how it
stands on its way out.

A message is written in the transaction of the change that caused it and delivered after the
commit, with retries, until it is sent or given up on (dead-lettered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    """How a message leaves."""

    SMS = "sms"
    WEBPUSH = "webpush"


class MessageStatus(StrEnum):
    """Where a message stands."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class OutgoingMessage:
    """A message waiting in (or delivered from) the outbox."""

    id: int
    channel: Channel
    recipient: str
    payload: dict[str, Any]
    order_id: str | None
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
