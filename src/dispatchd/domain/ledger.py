"""The installer's ledger: immutable entries, negative for a deduction, positive for a credit.

Entries are never edited or deleted; a correction is a new entry. A penalty is booked once
per (offer, ladder step), however often the step is retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

LATE_ACCEPTANCE_PENALTY = "late_acceptance_penalty"


@dataclass(frozen=True)
class LedgerEntry:
    """One booking: negative for a deduction."""

    id: str
    installer_id: str
    amount: int
    reason: str
    offer_id: str | None
    order_id: str | None
    step: int | None
    at: datetime


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
