"""One transaction's worth of repositories, and what to announce once it commits.

Handlers change state only through a unit of work; when its block ends the transaction
commits, and only then are listeners told (the event fan-out, the deadline engine, the
outbox relay), so nobody ever acts on a change that could still roll back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from dispatchd.domain.events import OrderEvent
from dispatchd.store.alerts import AlertRepository
from dispatchd.store.attempts import AttemptCounters
from dispatchd.store.deadlines import DeadlineRepository
from dispatchd.store.event_log import EventLog, PendingEvents, write_events
from dispatchd.store.idempotency import IdempotencyRepository
from dispatchd.store.installers import InstallerRepository
from dispatchd.store.ledger import Ledger
from dispatchd.store.message_templates import MessageTemplates
from dispatchd.store.offer_steps import OfferSteps
from dispatchd.store.orders import OrderRepository
from dispatchd.store.outbox import Outbox
from dispatchd.store.policies import PolicyRepository
from dispatchd.store.promise_steps import PromiseSteps
from dispatchd.store.types import to_micros
from dispatchd.store.users import UserRepository
from dispatchd.store.wakeups import DEADLINES_CHANNEL, announce
from dispatchd.store.zones import ZoneRepository
from dispatchd.wire.events import event_row


class UnsavedChanges(RuntimeError):
    """A handler changed an order but never saved it: its events would be lost."""


@dataclass(frozen=True)
class CommitSummary:
    """What a committed transaction wrote that others may be waiting for."""

    events: int
    earliest_deadline: datetime | None
    messages: int
    installers: frozenset[str] = frozenset()


class UnitOfWork:
    """Repositories sharing one connection and one transaction."""

    def __init__(self, conn: Connection, pending_events: PendingEvents | None = None) -> None:
        self.conn = conn
        self._children: list[UnitOfWork] = []
        self._pending_events = PendingEvents() if pending_events is None else pending_events
        self.outbox = Outbox(conn)
        self.events = EventLog(conn, self._pending_events)
        self.deadlines = DeadlineRepository(conn)
        self.orders = OrderRepository(conn, self.events, self.deadlines)
        self.installers = InstallerRepository(conn, self.orders.flush)
        self.zones = ZoneRepository(conn, self.orders.flush)
        self.users = UserRepository(conn)
        self.policies = PolicyRepository(conn)
        self.ledger = Ledger(conn)
        self.alerts = AlertRepository(conn)
        self.offer_steps = OfferSteps(conn, self.orders.flush)
        self.promise_steps = PromiseSteps(conn, self.orders.flush)
        self.subscribed_phones: dict[str, bool] = {}
        self.idempotency = IdempotencyRepository(conn)
        self.attempts = AttemptCounters(conn)
        self.message_templates = MessageTemplates(conn)

    def fresh(self) -> UnitOfWork:
        """A unit of work on the same transaction with empty caches.

        Used after a savepoint rolls back, when the cached rows no longer match the database,
        and for a savepoint's own unit: this unit's held-back rows are written first, so the
        new one reads them.
        """
        self.orders.flush()
        child = UnitOfWork(self.conn, self._pending_events)
        self._children.append(child)
        return child

    @contextmanager
    def savepoint(self) -> Iterator[UnitOfWork]:
        """A fresh unit of work inside a savepoint, for one step that may fail on its own.

        If the block raises, its rows and its not-yet-written events are undone together and
        the transaction goes on with the other steps.
        """
        mark = len(self._pending_events)
        child = self.fresh()
        try:
            with self.conn.begin_nested():
                yield child
                child.orders.flush()
        except BaseException:
            self._pending_events.truncate(mark)
            child.alerts.discard()
            child.orders.discard_held()
            raise

    def unreacted_events(self) -> list[OrderEvent]:
        """Events of this transaction that no reaction has seen yet (see ``reactions``)."""
        return self._pending_events.unreacted()

    def before_commit(self) -> None:
        """The transaction's last writes: its events, then a hint if a deadline is near."""
        write_events(self.conn, [event_row(event) for event in self._pending_events.drain()])
        earliest = self.summary().earliest_deadline
        if earliest is not None:
            announce(self.conn, DEADLINES_CHANNEL, str(to_micros(earliest)))

    def check_all_saved(self) -> None:
        """Write held-back rows and buffered alerts; refuse to commit when an order still holds
        unlogged events."""
        for unit in self._units():
            unit.orders.flush()
            unit.alerts.flush()
            unsaved = [order.id for order in unit.orders.seen.values() if order.events]
            if unsaved:
                raise UnsavedChanges(f"orders changed but not saved: {', '.join(unsaved)}")

    def summary(self) -> CommitSummary:
        """Totals over this unit and its children, for the post-commit announcements."""
        units = self._units()
        deadlines = [
            u.deadlines.earliest_scheduled for u in units if u.deadlines.earliest_scheduled
        ]
        return CommitSummary(
            events=sum(u.events.appended for u in units),
            earliest_deadline=min(deadlines) if deadlines else None,
            messages=sum(u.outbox.enqueued for u in units),
            installers=frozenset().union(*(u.installers.touched for u in units)),
        )

    def _units(self) -> list[UnitOfWork]:
        units = [self]
        for child in self._children:
            units.extend(child._units())
        return units
