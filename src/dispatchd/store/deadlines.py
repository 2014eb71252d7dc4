"""Deadlines are rows: written with the state they belong to, claimed when due, deleted when run.

Because a deadline is deleted in the same transaction as its effect, a crash before the
commit leaves it to fire again, and a commit leaves nothing to fire twice.

On PostgreSQL every process claims with ``FOR UPDATE SKIP LOCKED``: two engines never hold
the same deadline, and neither waits for the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from dispatchd.domain.deadlines import Deadline, DeadlineKind
from dispatchd.store import tables as t
from dispatchd.store.bulk import BulkDelete, BulkUpdate, Shape, raw_execute
from dispatchd.store.sql import upsert, upsert_many
from dispatchd.store.types import from_micros, to_micros

# A claimed deadline is named by id, kind and step: SQLite may give a new row the id of one
# deleted a moment before, so the id alone could name another subject's deadline.
_CLAIMED = (("kind", "text"), ("step", "integer"))
_DONE = BulkDelete("deadlines", key=("id", "bigint"), guards=_CLAIMED)
_ADVANCE = BulkUpdate(
    Shape("deadlines", (("step", "integer"), ("due_at", "bigint"), ("failures", "integer"))),
    key=("id", "bigint"),
    guards=_CLAIMED,
)


class DeadlineRepository:
    """Schedules, claims and removes deadlines."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.earliest_scheduled: datetime | None = None

    def schedule(self, kind: DeadlineKind, subject_id: str, step: int, due_at: datetime) -> None:
        """Set the subject's one pending deadline (replacing any earlier one)."""
        upsert(
            self._conn,
            t.deadlines,
            {
                "kind": kind.value,
                "subject_id": subject_id,
                "step": step,
                "due_at": due_at,
                "failures": 0,
            },
            keys=["kind", "subject_id"],
            update=["step", "due_at", "failures"],
        )
        if self.earliest_scheduled is None or due_at < self.earliest_scheduled:
            self.earliest_scheduled = due_at

    def schedule_many(self, kind: DeadlineKind, items: list[tuple[str, int, datetime]]) -> None:
        """:meth:`schedule` for many (subject, step, due) at once."""
        upsert_many(
            self._conn,
            t.deadlines,
            [
                {"kind": kind.value, "subject_id": s, "step": n, "due_at": d, "failures": 0}
                for s, n, d in items
            ],
            keys=["kind", "subject_id"],
            update=["step", "due_at", "failures"],
        )
        for _subject, _step, due_at in items:
            if self.earliest_scheduled is None or due_at < self.earliest_scheduled:
                self.earliest_scheduled = due_at

    def done_many(self, deadlines: list[Deadline]) -> None:
        """:meth:`done` for many deadlines in one statement."""
        _DONE.run(self._conn, [(d.id, d.kind.value, d.step) for d in deadlines])

    def advance_many(self, items: list[tuple[Deadline, int, datetime]]) -> None:
        """Move claimed deadlines on to their subject's next step: (deadline, step, due).

        The row of a step that ran becomes the row of the step after it, in one statement
        for the batch (only where the row still stands at the step that ran).
        """
        _ADVANCE.run(
            self._conn,
            [(d.id, d.kind.value, d.step, step, to_micros(due), 0) for d, step, due in items],
        )
        for _deadline, _step, due_at in items:
            if self.earliest_scheduled is None or due_at < self.earliest_scheduled:
                self.earliest_scheduled = due_at

    def cancel(self, kind: DeadlineKind, subject_id: str) -> None:
        """Drop the subject's pending deadline, if any."""
        self._conn.execute(
            delete(t.deadlines).where(
                t.deadlines.c.kind == kind.value, t.deadlines.c.subject_id == subject_id
            )
        )

    def claim_due(self, now: datetime, limit: int) -> list[Deadline]:
        """Due deadlines, oldest first, locked so no other engine runs them concurrently.

        The claim reads the due-time index from its start and stops at ``limit``: it never
        looks at a deadline that is not due.
        """
        due = to_micros(now)
        if self._conn.dialect.name != "postgresql":
            return _deadlines(raw_execute(self._conn, _CLAIM_SQLITE, (due, limit)))
        claimed: list[Deadline] = []
        for kinds, claim in _CLAIMS_POSTGRESQL:
            if len(claimed) >= limit:
                break
            rows = raw_execute(self._conn, claim, (kinds, due, limit - len(claimed)))
            claimed += _deadlines(rows)
        claimed.sort(key=lambda deadline: (deadline.due_at, deadline.id))
        return claimed

    def retry_later(self, deadline: Deadline, due_at: datetime) -> None:
        """Push a failing deadline back so it cannot block the ones behind it."""
        self._conn.execute(
            update(t.deadlines)
            .where(
                t.deadlines.c.id == deadline.id,
                t.deadlines.c.kind == deadline.kind.value,
                t.deadlines.c.step == deadline.step,
            )
            .values(due_at=due_at, failures=deadline.failures + 1)
        )

    def next_due_at(self) -> datetime | None:
        """When the earliest pending deadline comes due."""
        return self._conn.execute(
            select(t.deadlines.c.due_at).order_by(t.deadlines.c.due_at).limit(1)
        ).scalar()

    def pending(self) -> int:
        """How many deadlines wait (for metrics and tests)."""
        return int(self._conn.execute(select(func.count()).select_from(t.deadlines)).scalar_one())


_CLAIM_SQLITE = (
    "SELECT d.id, d.kind, d.subject_id, d.step, d.due_at, d.failures FROM deadlines d "
    "WHERE d.due_at <= ? ORDER BY d.due_at, d.id LIMIT ?"
)
# On PostgreSQL each kind is claimed together with the row its step will lock: an offer's
# step locks the offer's order, a promise's step (and a suspension's end) its own order. An
# accept locks its order and then deletes the offer's deadline; a step locks its deadline and
# then the order. Claimed one by one, the two could wait for each other until PostgreSQL
# breaks the deadlock. Taking both locks in the claim, and skipping the pair when either is
# held, means the engine never waits for an order a command is busy with; the step is claimed
# on the next round, once the command committed.
_CLAIMS_POSTGRESQL = (
    (
        [DeadlineKind.OFFER_STEP.value],
        "SELECT d.id, d.kind, d.subject_id, d.step, d.due_at, d.failures FROM deadlines d "
        "JOIN offers o ON o.id = d.subject_id JOIN orders r ON r.id = o.order_id "
        "WHERE d.kind = ANY(%s) AND d.due_at <= %s ORDER BY d.due_at, d.id LIMIT %s "
        "FOR UPDATE OF d, r SKIP LOCKED",
    ),
    (
        [kind.value for kind in DeadlineKind if kind is not DeadlineKind.OFFER_STEP],
        "SELECT d.id, d.kind, d.subject_id, d.step, d.due_at, d.failures FROM deadlines d "
        "JOIN orders r ON r.id = d.subject_id "
        "WHERE d.kind = ANY(%s) AND d.due_at <= %s ORDER BY d.due_at, d.id LIMIT %s "
        "FOR UPDATE OF d, r SKIP LOCKED",
    ),
)


def _deadlines(rows: Iterable[Sequence[Any]]) -> list[Deadline]:
    return [
        Deadline(
            id=row[0],
            kind=DeadlineKind(row[1]),
            subject_id=row[2],
            step=row[3],
            due_at=from_micros(row[4]),
            failures=row[5],
        )
        for row in rows
    ]
