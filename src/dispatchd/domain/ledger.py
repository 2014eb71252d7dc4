"""The installer's ledger: immutable entries, negative for a deduction, positive for a credit.

Entries are never edited or deleted; a correction is a new entry. Every booking the system
makes by itself carries a key that is unique in the ledger — a penalty per (offer or promise,
step), a job fee per order, a waiver per penalty — so however often a step is retried or a
request replayed, it is booked once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatchd.domain.errors import FieldError, InvalidInput

LATE_ACCEPTANCE_PENALTY = "late_acceptance_penalty"
LATE_APPOINTMENT_PENALTY = "late_appointment_penalty"
LATE_ARRIVAL_PENALTY = "late_arrival_penalty"
LATE_COMPLETION_PENALTY = "late_completion_penalty"
JOB_FEE = "job_fee"
PENALTY_WAIVED = "penalty_waived"
ADJUSTMENT = "adjustment"
PENALTY_REASONS = frozenset(
    {
        LATE_ACCEPTANCE_PENALTY,
        LATE_APPOINTMENT_PENALTY,
        LATE_ARRIVAL_PENALTY,
        LATE_COMPLETION_PENALTY,
    }
)
MAX_AMOUNT = 1_000_000_000


@dataclass(frozen=True)
class LedgerEntry:
    """One booking: negative for a deduction, positive for a credit.

    ``entry_id`` is the entry a waiver reverses; ``by`` the manager who booked it by hand.
    """

    id: str
    installer_id: str
    amount: int
    reason: str
    offer_id: str | None
    order_id: str | None
    step: int | None
    at: datetime
    once_key: str | None = None
    note: str | None = None
    entry_id: str | None = None
    by: str | None = None

    @property
    def is_penalty(self) -> bool:
        """A deduction a ladder booked (the kind a manager may waive)."""
        return self.reason in PENALTY_REASONS


def late_acceptance_penalty(
    entry_id: str,
    installer_id: str,
    amount: int,
    offer_id: str,
    order_id: str,
    step: int,
    at: datetime,
) -> LedgerEntry:
    """The deduction a penalize rung books (S204): unique per (offer, rung) in the ledger."""
    return LedgerEntry(
        id=entry_id,
        installer_id=installer_id,
        amount=-amount,
        reason=LATE_ACCEPTANCE_PENALTY,
        offer_id=offer_id,
        order_id=order_id,
        step=step,
        at=at,
    )


def promise_penalty(
    entry_id: str,
    installer_id: str,
    amount: int,
    reason: str,
    order_id: str,
    promise: str,
    step: int,
    at: datetime,
) -> LedgerEntry:
    """The deduction a promise's penalize step books, once per (order, promise, step)."""
    return LedgerEntry(
        id=entry_id,
        installer_id=installer_id,
        amount=-amount,
        reason=reason,
        offer_id=None,
        order_id=order_id,
        step=step,
        at=at,
        once_key=f"{promise}:{order_id}:{step}",
    )


def job_fee(entry_id: str, installer_id: str, fee: int, order_id: str, at: datetime) -> LedgerEntry:
    """What the installer earns for a completed job, credited once per order."""
    return LedgerEntry(
        id=entry_id,
        installer_id=installer_id,
        amount=fee,
        reason=JOB_FEE,
        offer_id=None,
        order_id=order_id,
        step=None,
        at=at,
        once_key=f"job_fee:{order_id}",
    )


def waiver(
    entry_id: str, penalty: LedgerEntry, note: str | None, by: str, at: datetime
) -> LedgerEntry:
    """A manager lifts a penalty: the amount equal and opposite, at most once per penalty."""
    if not penalty.is_penalty:
        raise InvalidInput(
            [
                FieldError(
                    "entry_id",
                    f"entry {penalty.id} is a {penalty.reason}, not a penalty; only penalties "
                    "can be waived (book an adjustment instead)",
                    "not_a_penalty",
                )
            ]
        )
    return LedgerEntry(
        id=entry_id,
        installer_id=penalty.installer_id,
        amount=-penalty.amount,
        reason=PENALTY_WAIVED,
        offer_id=penalty.offer_id,
        order_id=penalty.order_id,
        step=None,
        at=at,
        once_key=f"waiver:{penalty.id}",
        note=note,
        entry_id=penalty.id,
        by=by,
    )


def adjustment(
    entry_id: str, installer_id: str, amount: int, note: str, by: str, at: datetime
) -> LedgerEntry:
    """A manager's correction in either direction, always with a note saying why."""
    if amount == 0 or abs(amount) > MAX_AMOUNT:
        raise InvalidInput(
            [
                FieldError(
                    "amount",
                    f"must be a non-zero whole number of minor units up to {MAX_AMOUNT} "
                    f"either way, got {amount}",
                    "amount_range",
                    {"max": MAX_AMOUNT},
                )
            ]
        )
    if not note.strip():
        raise InvalidInput([FieldError("note", "say why the balance is adjusted", "note_required")])
    return LedgerEntry(
        id=entry_id,
        installer_id=installer_id,
        amount=amount,
        reason=ADJUSTMENT,
        offer_id=None,
        order_id=None,
        step=None,
        at=at,
        note=note,
        by=by,
    )
