"""Exceptions to the plan, each with a reason: a job on hold, a job given back or taken away.

- A **suspension** puts an accepted or started job on hold (the customer is not home, parts
  are missing …); its promises pause and keep the time they had left, and it resumes where it
  stood, by hand or at ``until``.
- A **release** records an installer who no longer holds the job: they handed it back before
  starting, or a manager (or a promise's ``reassign`` step) took it away. A released
  installer is never offered the same order automatically again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SuspendReason(StrEnum):
    """Why a job is on hold."""

    CUSTOMER_ABSENT = "customer_absent"
    PARTS_MISSING = "parts_missing"
    CUSTOMER_REQUEST = "customer_request"
    SITE_NOT_READY = "site_not_ready"
    OTHER = "other"


@dataclass(frozen=True)
class Suspension:
    """The hold: why, since when, until when (if set), and the status it left."""

    reason: SuspendReason
    note: str | None
    since: datetime
    until: datetime | None
    from_status: str


class ReleaseKind(StrEnum):
    """How an installer came to no longer hold the job."""

    HANDED_BACK = "handed_back"
    REASSIGNED = "reassigned"


@dataclass(frozen=True)
class Release:
    """An installer let go of the job (or had it taken away), with the reason."""

    installer_id: str
    kind: ReleaseKind
    reason: str
    at: datetime
    by: str
