"""Deadlines are rows: written with the state they belong to, claimed when due, deleted when run.

Because a deadline is deleted in the same transaction as its effect, a crash before the
commit leaves it to fire again, and a commit leaves nothing to fire twice.

On PostgreSQL every process claims with ``FOR UPDATE SKIP LOCKED``: two engines never hold
the same deadline, and neither waits for the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Select, bindparam, delete, func, select, update

from dispatchd.domain.deadlines import Deadline, DeadlineKind
from dispatchd.store import tables as t
from dispatchd.store.sql import upsert, upsert_many


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
        """:meth:`done` for many deadlines in one executemany statement."""
        if not deadlines:
            return
        self._conn.execute(
            delete(t.deadlines).where(
                t.deadlines.c.id == bindparam("b_id"), t.deadlines.c.step == bindparam("b_step")
            ),
            [{"b_id": d.id, "b_step": d.step} for d in deadlines],
        )

    def cancel(self, kind: DeadlineKind, subject_id: str) -> None:
        """Drop the subject's pending deadline, if any."""
        self._conn.execute(
            delete(t.deadlines).where(
                t.deadlines.c.kind == kind.value, t.deadlines.c.subject_id == subject_id
            )
        )

    def claim_due(self, now: datetime, limit: int) -> list[Deadline]:
        """Due deadlines, oldest first, locked so no other engine runs them concurrently."""
        if self._conn.dialect.name != "postgresql":
            return self._claim(select(t.deadlines).where(t.deadlines.c.due_at <= now), limit)
        claimed = self._claim(_offer_steps_with_their_orders(now), limit)
        other_kinds = [kind.value for kind in DeadlineKind if kind is not DeadlineKind.OFFER_STEP]
        if other_kinds and len(claimed) < limit:
            others = (
                select(t.deadlines)
                .where(t.deadlines.c.kind.in_(other_kinds), t.deadlines.c.due_at <= now)
                .with_for_update(skip_locked=True)
            )
            claimed += self._claim(others, limit - len(claimed))
        return claimed

    def _claim(self, query: Select[tuple[object, ...]], limit: int) -> list[Deadline]:
        ordered = query.order_by(t.deadlines.c.due_at, t.deadlines.c.id).limit(limit)
        rows = self._conn.execute(ordered).mappings()
        return [
            Deadline(
                id=row["id"],
                kind=DeadlineKind(row["kind"]),
                subject_id=row["subject_id"],
                step=row["step"],
                due_at=row["due_at"],
                failures=row["failures"],
            )
            for row in rows
        ]

    def done(self, deadline: Deadline) -> None:
        """Remove a deadline that has run (only if nobody rescheduled it meanwhile)."""
        self._conn.execute(
            delete(t.deadlines).where(
                t.deadlines.c.id == deadline.id, t.deadlines.c.step == deadline.step
            )
        )

    def retry_later(self, deadline: Deadline, due_at: datetime) -> None:
        """Push a failing deadline back so it cannot block the ones behind it."""
        self._conn.execute(
            update(t.deadlines)
            .where(t.deadlines.c.id == deadline.id)
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


def _offer_steps_with_their_orders(now: datetime) -> Select[tuple[object, ...]]:
    """Due offer steps locked together with their orders, skipping any row someone holds.

    An accept locks its order and then deletes the offer's deadline; a step locks its
    deadline and then the order. Claimed one by one, the two could wait for each other until
    PostgreSQL breaks the deadlock. Taking both locks in the claim, and skipping the pair when
    either is held, means the engine never waits for an order a command is busy with; the
    step is claimed on the next round, by which time the command has committed.
    """
    return (
        select(t.deadlines)
        .join(t.offers, t.offers.c.id == t.deadlines.c.subject_id)
        .join(t.orders, t.orders.c.id == t.offers.c.order_id)
        .where(
            t.deadlines.c.kind == DeadlineKind.OFFER_STEP.value,
            t.deadlines.c.due_at <= now,
        )
        .with_for_update(skip_locked=True, of=[t.deadlines, t.orders])
    )
