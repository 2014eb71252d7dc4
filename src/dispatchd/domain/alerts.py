"""Alerts: what the management client's inbox asks a person to look at, and why.

An alert is about one order; it stays open until someone acknowledges it or its cause is
settled: the order offered again (revoked, handed back, nobody eligible, waiting for a
dispatcher), the follow-up made, the breached promise kept, the appointment moved after a
reschedule request, the order cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AlertType(StrEnum):
    """What needs a manager's attention."""

    OFFER_REVOKED = "offer_revoked"
    NEEDS_DISPATCHER = "needs_dispatcher"
    NO_ELIGIBLE_INSTALLER = "no_eligible_installer"
    FOLLOW_UP_REQUIRED = "follow_up_required"
    PROMISE_BREACHED = "promise_breached"
    JOB_HANDED_BACK = "job_handed_back"
    RESCHEDULE_REQUESTED = "reschedule_requested"
    MESSAGE_UNDELIVERED = "message_undelivered"


class AlertClosure(StrEnum):
    """Why an alert left the open inbox."""

    ACKNOWLEDGED = "acknowledged"
    SETTLED = "settled"


@dataclass(frozen=True)
class Alert:
    """One inbox item."""

    id: str
    type: AlertType
    order_id: str
    at: datetime
    zone_id: str | None = None
    offer_id: str | None = None
    installer_id: str | None = None
    detail: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
