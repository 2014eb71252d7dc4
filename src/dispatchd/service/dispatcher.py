"""The service façade, and the only door to the database for anything that changes state.

Routes, the CLI, the deadline engine and the outbox relay call :meth:`Dispatcher.execute`; it
loads nothing itself but opens the transaction, hands the handler its context, runs the
reactions to the events the handler caused, stores the idempotent response with the change,
commits, and only then tells the listeners. The one exception is an installer's raw position,
soft state saved in batches (:meth:`Dispatcher.report_positions`, :meth:`save_positions`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatchd.config import Settings
from dispatchd.domain.errors import DomainError, FieldError, InvalidInput
from dispatchd.faults import crash_point
from dispatchd.service.actors import Actor
from dispatchd.service.clock import Clock
from dispatchd.service.commands import Command
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.group_commit import GroupCommitter
from dispatchd.service.group_publication import GroupPublisher
from dispatchd.service.handlers import HANDLERS
from dispatchd.service.handlers.installers import MAX_LOCATION_AGE_S, MAX_LOCATION_FUTURE_S
from dispatchd.service.installer_map import InstallerMap
from dispatchd.service.keys import load_deployment_key
from dispatchd.service.outcome import IdempotencyRequest, Outcome
from dispatchd.service.positions import Position, PositionReport, Positions, stored_position
from dispatchd.service.reactions import react
from dispatchd.service.service_codes import ServiceCodeStock
from dispatchd.service.unit_of_work import CommitSummary, UnitOfWork
from dispatchd.service.zone_map import ZoneMap
from dispatchd.store.database import Database, retrying
from dispatchd.store.event_publication import publication_round
from dispatchd.store.idempotency import StoredResponse
from dispatchd.store.installers import SavedPosition

CommitListener = Callable[[CommitSummary], None]


class IdempotencyKeyReused(DomainError):
    """The same ``Idempotency-Key`` came with a different request (a 422)."""


class Dispatcher:
    """Runs commands; owns the database, the clock and the shared in-memory indexes."""

    def __init__(self, database: Database, clock: Clock, settings: Settings) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.zone_map = ZoneMap()
        self.positions = Positions()
        self.installer_map = InstallerMap(self.positions)
        self.key = load_deployment_key(settings.secret_key, settings.data_dir)
        self.service_codes = ServiceCodeStock(self.key)
        self._listeners: list[CommitListener] = [self._update_installer_map]
        self._committer = GroupCommitter(self._transaction) if database.is_sqlite else None
        self._publisher = (
            None if database.is_sqlite else GroupPublisher(lambda: publication_round(database))
        )

    def on_commit(self, listener: CommitListener) -> None:
        """Call ``listener`` after every commit (engine wake-ups, event fan-out, relay)."""
        self._listeners.append(listener)

    def publish_events(self) -> None:
        """Publish every committed queued event, sharing a round with concurrent callers.

        PostgreSQL only (on SQLite events are in the log once committed); see
        :mod:`dispatchd.service.group_publication`.
        """
        if self._publisher is not None:
            self._publisher.publish()

    @contextmanager
    def _transaction(self) -> Iterator[UnitOfWork]:
        """A write transaction; listeners hear of it only after it has committed.

        Its events are published before the listeners are told, so the answer and the live
        stream already show them.
        """
        with self.database.write() as conn:
            uow = UnitOfWork(conn)
            yield uow
            uow.check_all_saved()
            uow.before_commit()
        summary = uow.summary()
        if summary.events:
            crash_point("events.before_publication")
            self.publish_events()
        for listener in self._listeners:
            listener(summary)

    def _update_installer_map(self, summary: CommitSummary) -> None:
        if summary.installers:
            with self.reading() as conn:
                changed = UnitOfWork(conn).installers.by_ids(sorted(summary.installers))
            self.installer_map.apply(changed)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A consistent read-only snapshot for queries."""
        with self.database.read() as conn:
            yield conn

    def context(self, actor: Actor, now: datetime | None = None) -> Context:
        """The handler context for an actor at a moment (now, by default)."""
        return Context(
            actor,
            now or self.clock.now(),
            self.settings,
            self.zone_map,
            self.key,
            self.installer_map,
            self.service_codes,
        )

    def _handle(self, uow: UnitOfWork, command: Command, ctx: Context) -> Any:
        """Run one command's handler, then the reactions to the events it caused."""
        result = HANDLERS[type(command)](command, uow, ctx)
        react(uow, ctx)
        uow.orders.flush()
        return result

    def execute(self, command: Command, actor: Actor, now: datetime | None = None) -> Any:
        """Run a command in its own transaction and return the handler's result.

        ``now`` fixes the command's moment (the engine claims each batch at one moment).
        """
        return self._in_transaction(
            lambda uow: self._handle(uow, command, self.context(actor, now))
        )

    def execute_rendered(
        self,
        command: Command,
        actor: Actor,
        render: Callable[[UnitOfWork, Any], Outcome],
        idempotency: IdempotencyRequest | None = None,
    ) -> Outcome:
        """Run a command and render its answer in the same transaction.

        With an idempotency key, the answer is stored with the change; a retry with the same
        key and request gets it back without running anything, one with another request is
        refused. Concurrent requests with one key wait for each other (see
        :meth:`IdempotencyRepository.get`), so the second gets the first one's answer.
        """

        def work(uow: UnitOfWork) -> Outcome:
            if idempotency is not None:
                stored = uow.idempotency.get(actor.user_id, idempotency.key)
                if stored is not None:
                    return self._replay(stored, idempotency)
            ctx = self.context(actor)
            outcome = render(uow, self._handle(uow, command, ctx))
            if idempotency is not None:
                uow.idempotency.save(
                    actor.user_id,
                    idempotency.key,
                    StoredResponse(
                        idempotency.request_hash, outcome.status_code, json.dumps(outcome.body)
                    ),
                    ctx.now,
                )
            return outcome

        result: Outcome = self._in_transaction(work)
        return result

    def stored_answer(self, actor: Actor, idempotency: IdempotencyRequest | None) -> Outcome | None:
        """The answer already given to this keyed request, if there is one (read-only).

        Lets a route replay a retry before it does expensive work for the request (decoding
        an upload); a key reused with another request is refused here too.
        """
        if idempotency is None:
            return None
        with self.reading() as conn:
            stored = UnitOfWork(conn).idempotency.get(actor.user_id, idempotency.key)
        return None if stored is None else self._replay(stored, idempotency)

    def _in_transaction(self, work: Callable[[UnitOfWork], Any]) -> Any:
        """Run ``work`` atomically and durably: grouped with others on SQLite, alone otherwise.

        On PostgreSQL writers run concurrently, each in its own transaction, retried when the
        database breaks a deadlock or a serialisation conflict.
        """
        if self._committer is not None:
            return self._committer.submit(work)

        def run() -> Any:
            with self._transaction() as uow:
                return work(uow)

        return retrying(run)

    def report_positions(self, installer_id: str, reports: Sequence[PositionReport]) -> bool:
        """Take an installer's newest reported fix into memory and onto the map at once.

        Every fix is checked first (a time more than a minute ahead or a day old is a 422
        naming it) and none is taken if one is bad. Of the rest only the newest counts, and
        only if it is not older than the position known (stored or heard); True when taken.
        Nothing is written here: :meth:`save_positions` saves the batch. A position causes no
        event and changes no order, so losing the last unsaved one in a crash costs a second of
        a moving dot, never a fact.
        """
        now = self.clock.now()
        errors: list[FieldError] = []
        fixes: list[Position] = []
        for report in reports:
            at = report.at or now
            if (at - now).total_seconds() > MAX_LOCATION_FUTURE_S:
                errors.append(
                    FieldError(
                        f"{report.field}at",
                        "lies in the future; send the time of the fix",
                        "fix_in_future",
                    )
                )
            elif (now - at).total_seconds() > MAX_LOCATION_AGE_S:
                errors.append(
                    FieldError(
                        f"{report.field}at",
                        "is more than a day old; send a fresh position",
                        "fix_too_old",
                    )
                )
            fixes.append(Position(report.location, at, report.accuracy_m))
        if errors:
            raise InvalidInput(errors)
        if not fixes:
            return False
        newest = fixes[0]
        for fix in fixes[1:]:
            if fix.at >= newest.at:
                newest = fix
        if not self.positions.knows(installer_id):
            with self.reading() as conn:
                record = UnitOfWork(conn).installers.get(installer_id)
            if record is None:
                raise NotFound("installer", installer_id)
            self.positions.learn(installer_id, stored_position(record))
        return self.installer_map.moved(installer_id, newest)

    def save_positions(self, now: datetime | None = None) -> int:
        """Save every position not yet saved, in one statement; how many were in the batch.

        A failed save gives the batch back (unless newer fixes came meanwhile) and raises, so
        the saver's next round writes it.
        """
        batch = self.positions.unsaved()
        if not batch:
            return 0
        moment = now or self.clock.now()
        rows = [
            SavedPosition(installer_id, p.location, p.at, p.accuracy_m)
            for installer_id, p in sorted(batch.items())
        ]
        try:
            self._in_transaction(lambda uow: uow.installers.save_positions(rows, moment))
        except BaseException:
            self.positions.not_saved(batch)
            raise
        return len(rows)

    def close(self) -> None:
        """Let queued commands finish, stop the writer thread and forget unused codes."""
        if self._committer is not None:
            self._committer.stop()
        self.service_codes.stop()

    @staticmethod
    def _replay(stored: StoredResponse, idempotency: IdempotencyRequest) -> Outcome:
        if stored.request_hash != idempotency.request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request; "
                "use a new key for a new request"
            )
        return Outcome(stored.status_code, json.loads(stored.body))
