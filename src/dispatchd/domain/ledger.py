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
