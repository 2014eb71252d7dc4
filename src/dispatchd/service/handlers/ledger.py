"""A manager's entries in an installer's ledger: waiving a penalty, adjusting a balance.

Entries are never edited or deleted. A waiver is the penalty's amount, equal and opposite,
at most once per penalty (the ledger's own key refuses a second); an adjustment always says
why. Only managers of the installer's zones (and admins) may book them.
"""

from __future__ import annotations

from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.ids import new_id
from dispatchd.domain.ledger import ADJUSTMENT, PENALTY_WAIVED, LedgerEntry, adjustment, waiver
from dispatchd.service.commands import BookLedgerEntry
from dispatchd.service.context import Context
from dispatchd.service.errors import Conflict, NotFound
from dispatchd.service.handlers.installers import visible_installer
from dispatchd.service.unit_of_work import UnitOfWork


def book_ledger_entry(cmd: BookLedgerEntry, uow: UnitOfWork, ctx: Context) -> LedgerEntry:
    """Book the manager's entry; a waiver of a penalty already waived is a conflict."""
    installer = visible_installer(uow, ctx.actor, cmd.installer_id)
    note = (cmd.note or "").strip() or None
    if cmd.reason == ADJUSTMENT:
        entry = adjustment(
            new_id("led"), installer.id, cmd.amount, note or "", ctx.actor.user_id, ctx.now
        )
    elif cmd.reason == PENALTY_WAIVED:
        entry = _waiver(uow, ctx, installer.id, cmd, note)
    else:
        raise InvalidInput(
            [
                FieldError(
                    "reason",
                    "must be penalty_waived or adjustment",
                    "literal_error",
                    {"expected": "'penalty_waived' or 'adjustment'"},
                )
            ]
        )
    if not uow.ledger.book(entry):
        raise Conflict(
            f"penalty {cmd.entry_id} was already waived; an entry is never booked twice",
            [FieldError("entry_id", "was already waived", "already_waived")],
        )
    return entry


def _waiver(
    uow: UnitOfWork, ctx: Context, installer_id: str, cmd: BookLedgerEntry, note: str | None
) -> LedgerEntry:
    if not cmd.entry_id:
        raise InvalidInput([FieldError("entry_id", "name the penalty entry to waive", "missing")])
    penalty = uow.ledger.get(cmd.entry_id)
    if penalty is None or penalty.installer_id != installer_id:
        raise NotFound("ledger entry", cmd.entry_id)
    entry = waiver(new_id("led"), penalty, note, ctx.actor.user_id, ctx.now)
    if cmd.amount != entry.amount:
        raise InvalidInput(
            [
                FieldError(
                    "amount",
                    f"a waiver reverses the penalty exactly: send {entry.amount}, not {cmd.amount}",
                    "waiver_amount",
                    {"expected": entry.amount},
                )
            ]
        )
    return entry
