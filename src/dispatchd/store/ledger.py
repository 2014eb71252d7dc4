"""The installer's ledger as stored: entries are inserted, never updated or deleted.

"At most once" is kept by the database itself: a penalty is unique per (offer, ladder step),
and every other automatic booking per its ``once_key``, so an insert that would book it again
does nothing.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from dispatchd.domain.ledger import LedgerEntry
from dispatchd.store import tables as t
from dispatchd.store.sql import insert_ignoring_conflict, insert_many_ignoring_conflicts


class Ledger:
    """Books entries and reads balances."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def book(self, entry: LedgerEntry) -> bool:
        """Book an entry; False when it was already booked (same offer step or key)."""
        return insert_ignoring_conflict(self._conn, t.ledger_entries, entry.__dict__)

    def book_many(self, entries: list[LedgerEntry]) -> None:
        """:meth:`book` for many entries; each still books at most once."""
        insert_many_ignoring_conflicts(self._conn, t.ledger_entries, [e.__dict__ for e in entries])

    def entries(self, installer_id: str, limit: int = 500) -> list[LedgerEntry]:
        """An installer's entries, newest first."""
        rows = self._conn.execute(
            select(t.ledger_entries)
            .where(t.ledger_entries.c.installer_id == installer_id)
            .order_by(t.ledger_entries.c.at.desc(), t.ledger_entries.c.id)
            .limit(limit)
        ).mappings()
        return [LedgerEntry(**row) for row in rows]

    def get(self, entry_id: str) -> LedgerEntry | None:
        """One entry, or None."""
        row = (
            self._conn.execute(select(t.ledger_entries).where(t.ledger_entries.c.id == entry_id))
            .mappings()
            .first()
        )
        return None if row is None else LedgerEntry(**row)

    def balance(self, installer_id: str) -> int:
        """The sum of every entry of the installer."""
        total = self._conn.execute(
            select(func.coalesce(func.sum(t.ledger_entries.c.amount), 0)).where(
                t.ledger_entries.c.installer_id == installer_id
            )
        ).scalar_one()
        return int(total)
