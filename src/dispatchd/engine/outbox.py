"""The outbox relay: delivers committed messages, at least once, exactly once when all is well.

A message is leased (its attempt counted, hidden for a while) in one short transaction, sent
with no transaction open — a slow gateway must not hold the database — and recorded as sent or
failed in another. A crash between sending and recording leaves the lease to run out; the
message goes again with the same reference, which receivers use to drop the duplicate. After
``max_attempts`` failures an SMS is dead-lettered and a manager is alerted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from dispatchd.domain.messages import Channel, OutgoingMessage
from dispatchd.domain.timefmt import rfc3339
from dispatchd.faults import crash_point
from dispatchd.notify.sms import Sms, SmsChannel
from dispatchd.notify.templates import INSTALLER_COMING, render
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import LeaseDueMessages, RecordDelivery, RecordDeliveryFailure
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.keys import DeploymentKey
from dispatchd.service.unit_of_work import CommitSummary, UnitOfWork

log = structlog.get_logger(__name__)

LEASE_S = 60
MAX_BACKOFF_S = 3600


class PushSender(Protocol):
    """Delivers a Web Push payload to every phone an installer has subscribed."""

    def send(self, installer_id: str, payload: dict[str, object]) -> None:
        """Push to the installer's phones, or raise to have the message retried."""
        ...


class NoPush:
    """Push disabled: nothing to deliver, so nothing fails."""

    def send(self, installer_id: str, payload: dict[str, object]) -> None:
        """Do nothing."""


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 5 s, 10 s, 20 s … up to an hour."""
    return timedelta(seconds=min(MAX_BACKOFF_S, 5 * 2 ** max(0, attempts - 1)))


class OutboxRelay:
    """Delivers due outbox messages through their channels."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        sms: SmsChannel,
        key: DeploymentKey,
        push: PushSender | None = None,
        max_attempts: int = 8,
        batch_size: int = 100,
        poll_s: float = 1.0,
        lease_s: float = LEASE_S,
    ) -> None:
        self._dispatcher = dispatcher
        self._sms = sms
        self._key = key
        self._push = push or NoPush()
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._lease = timedelta(seconds=lease_s)
        self._wake = threading.Event()
        self.delivered = 0
        dispatcher.on_commit(self._on_commit)

    def _on_commit(self, summary: CommitSummary) -> None:
        if summary.messages:
            self._wake.set()

    def run_due(self, now: datetime | None = None) -> int:
        """Deliver every message due at ``now``; returns how many were delivered."""
        moment = now or self._dispatcher.clock.now()
        delivered = 0
        while True:
            leased = self._lease_due(moment)
            for message in leased:
                delivered += self._deliver(message, moment)
            if len(leased) < self._batch_size:
                return delivered

    def _lease_due(self, now: datetime) -> list[OutgoingMessage]:
        command = LeaseDueMessages(self._batch_size, self._lease.total_seconds())
        leased: list[OutgoingMessage] = self._dispatcher.execute(command, SYSTEM, now)
        return leased

    def _deliver(self, message: OutgoingMessage, now: datetime) -> int:
        try:
            self._send(message, now)
        except Exception as exc:
            self._record_failure(message, now, f"{type(exc).__name__}: {exc}")
            return 0
        crash_point("outbox.after_deliver")
        self._dispatcher.execute(RecordDelivery(message), SYSTEM, now)
        self.delivered += 1
        return 1

    def _send(self, message: OutgoingMessage, now: datetime) -> None:
        if message.channel is Channel.SMS:
            self._sms.send(
                Sms(
                    message.id,
                    message.recipient,
                    self._sms_body(message),
                    message.order_id,
                    rfc3339(now),
                )
            )
        else:
            self._push.send(message.recipient, {**message.payload, "ref": message.id})

    def _sms_body(self, message: OutgoingMessage) -> str:
        payload = message.payload
        values = dict(payload["values"])
        if "sealed" in payload:
            sealed = payload["sealed"]
            if sealed is None:
                raise ValueError("the message's secret is gone; it cannot be rendered again")
            values["code"] = self._key.open(sealed)
        template = payload.get("template", INSTALLER_COMING)
        locale = payload["locale"]
        with self._dispatcher.reading() as conn:
            override = UnitOfWork(conn).message_templates.text(template, locale)
        return render(template, locale, values, override)

    def _record_failure(self, message: OutgoingMessage, now: datetime, error: str) -> None:
        give_up = message.attempts >= self._max_attempts
        log.warning(
            "message delivery failed",
            message_id=message.id,
            channel=message.channel.value,
            attempts=message.attempts,
            dead=give_up,
            error=error,
        )
        retry_at = None if give_up else now + backoff(message.attempts)
        self._dispatcher.execute(RecordDeliveryFailure(message, error, retry_at), SYSTEM, now)

    def next_attempt_at(self) -> datetime | None:
        """When the earliest pending message is due."""
        with self._dispatcher.reading() as conn:
            return UnitOfWork(conn).outbox.next_attempt_at()

    def run_forever(self, stop: threading.Event) -> None:
        """Deliver what is due, then sleep until the next message or a wake-up."""
        clock: Callable[[], datetime] = self._dispatcher.clock.now
        while not stop.is_set():
            try:
                self.run_due()
                next_at = self.next_attempt_at()
                timeout = self._poll_s
                if next_at is not None:
                    timeout = max(0.0, min(timeout, (next_at - clock()).total_seconds()))
                if timeout > 0:
                    self._wake.wait(timeout)
                self._wake.clear()
            except Exception:
                log.exception("outbox relay iteration failed; retrying")
                stop.wait(self._poll_s)

    def wake(self) -> None:
        """Cut the current sleep short (used at shutdown)."""
        self._wake.set()
