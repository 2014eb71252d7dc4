"""Commands: what callers ask the dispatcher to do, named as imperatives.

The HTTP routes, the CLI and the deadline engine all build these and hand them to the
service; none of them changes state on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatchd.domain.attempts import AttemptLimit, Counted
from dispatchd.domain.deadlines import Deadline
from dispatchd.domain.escalation import Policy
from dispatchd.domain.geo import Point
from dispatchd.domain.holds import SuspendReason
from dispatchd.domain.messages import OutgoingMessage
from dispatchd.domain.orders import StoredPhoto


@dataclass(frozen=True)
class Command:
    """Base of every command."""


@dataclass(frozen=True)
class CreateUser(Command):
    """Open an account for a manager, admin or integration."""

    username: str
    password: str
    role: str
    zone_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LimitUserZones(Command):
    """Set the zones a manager or integration is limited to (empty: no limit; None: keep)."""

    user_id: str
    zone_ids: tuple[str, ...] | None


@dataclass(frozen=True)
class LogIn(Command):
    """Exchange a username and password for a bearer token."""

    username: str
    password: str


@dataclass(frozen=True)
class CountAttempt(Command):
    """Count an attempt that invites guessing against each of its limits, before any work.

    Either every counter takes the attempt or none does: a refused attempt changes nothing.
    """

    counters: tuple[tuple[AttemptLimit, str], ...]


@dataclass(frozen=True)
class GiveBackAttempt(Command):
    """An attempt succeeded: give back the places it took, so only failures add up."""

    counted: tuple[Counted, ...]


@dataclass(frozen=True)
class LogOut(Command):
    """Revoke the bearer token the caller used."""

    token: str


@dataclass(frozen=True)
class CreateZone(Command):
    """Draw a zone installers can be responsible for."""

    name: str
    boundary: dict[str, Any]


@dataclass(frozen=True)
class UpdateZone(Command):
    """Rename a zone or redraw its boundary."""

    zone_id: str
    name: str | None = None
    boundary: dict[str, Any] | None = None


@dataclass(frozen=True)
class DeleteZone(Command):
    """Remove a zone that has no open orders."""

    zone_id: str


@dataclass(frozen=True)
class CreateInstaller(Command):
    """Register an installer with their login."""

    name: str
    phone: str
    zone_ids: tuple[str, ...]
    capacity: int
    skills: tuple[str, ...]
    username: str
    password: str


@dataclass(frozen=True)
class UpdateInstaller(Command):
    """Change an installer's details; only the given fields change."""

    installer_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SetDuty(Command):
    """The installer goes on or off duty."""

    installer_id: str
    on_duty: bool


@dataclass(frozen=True)
class ReportLocation(Command):
    """The installer's phone reports where it is."""

    installer_id: str
    location: Point
    accuracy_m: float | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class SetPolicy(Command):
    """Replace the escalation policy for offers sent from now on."""

    policy: Policy


@dataclass(frozen=True)
class CreateOrder(Command):
    """A shop's service request: place it in its zone and dispatch it at once."""

    customer_name: str
    customer_phone: str
    address: str
    location: Point
    product: str
    skills: tuple[str, ...] = ()
    notes: str | None = None
    external_ref: str | None = None
    fee: int = 0


@dataclass(frozen=True)
class AssignOrder(Command):
    """A manager offers the order to the installer of their choice.

    On an order someone already holds it is a reassignment, which needs a ``reason``.
    """

    order_id: str
    installer_id: str
    reason: str | None = None


@dataclass(frozen=True)
class SetAppointment(Command):
    """Agree (or move, with a reason) the arrival window with the customer ([0063])."""

    order_id: str
    window_start: datetime
    window_end: datetime
    reason: str | None = None


@dataclass(frozen=True)
class SetOff(Command):
    """The installer is on the way to the customer."""

    order_id: str


@dataclass(frozen=True)
class HandBack(Command):
    """The installer gives the job back before starting it, saying why."""

    order_id: str
    reason: str


@dataclass(frozen=True)
class SuspendOrder(Command):
    """Put a job on hold for a reason; with ``until`` it resumes by itself then."""

    order_id: str
    reason: SuspendReason
    note: str | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class ResumeOrder(Command):
    """Take a job off hold."""

    order_id: str


@dataclass(frozen=True)
class BookLedgerEntry(Command):
    """A manager's entry in an installer's ledger: a waived penalty or an adjustment."""

    installer_id: str
    amount: int
    reason: str
    note: str | None = None
    entry_id: str | None = None


@dataclass(frozen=True)
class RateOrder(Command):
    """The customer rates the finished job, identified by their tracking link's token."""

    token: str
    stars: int
    comment: str | None = None


@dataclass(frozen=True)
class RequestReschedule(Command):
    """The customer asks to move the visit, saying why and perhaps when would suit them."""

    token: str
    reason: str
    preferred_start: datetime | None = None


@dataclass(frozen=True)
class SetMessageTemplate(Command):
    """An admin changes the words of one customer message in one locale."""

    name: str
    locale: str
    body: str


@dataclass(frozen=True)
class CancelOrder(Command):
    """Call the job off."""

    order_id: str
    reason: str


@dataclass(frozen=True)
class AcceptOffer(Command):
    """The installer confirms the job (S402 → S301)."""

    offer_id: str


@dataclass(frozen=True)
class DeclineOffer(Command):
    """The installer turns the job down."""

    offer_id: str
    reason: str | None = None


@dataclass(frozen=True)
class StartJob(Command):
    """The installer reports the start of installation (S303)."""

    order_id: str


@dataclass(frozen=True)
class CompleteJob(Command):
    """The installer sends the photo, the completion and the customer's code (S304)."""

    order_id: str
    photo: StoredPhoto
    service_code: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ResolveFollowUp(Command):
    """A manager records the outcome of the call about a flagged completion."""

    order_id: str
    outcome: str
    note: str | None = None


@dataclass(frozen=True)
class RunDueSteps(Command):
    """Carry out due ladder steps, of any ladder kind: one path for one step or a thousand.

    A step that no longer applies (its offer answered, its promise kept, the step already
    taken) changes nothing, which is what makes firing a deadline twice harmless.
    """

    deadlines: tuple[Deadline, ...]


@dataclass(frozen=True)
class FireDueDeadlines(Command):
    """The deadline engine's round: claim up to ``limit`` due deadlines and run their steps.

    Steps of the round that fail are isolated and retried later; the others commit.
    """

    limit: int


@dataclass(frozen=True)
class AcknowledgeAlert(Command):
    """A manager has dealt with an alert."""

    alert_id: str


@dataclass(frozen=True)
class AcknowledgeAlerts(Command):
    """A manager has dealt with several alerts at once (a selection in the inbox)."""

    alert_ids: tuple[str, ...]


@dataclass(frozen=True)
class SubscribePush(Command):
    """An installer's phone asks for Web Push, so alerts reach it with the app closed."""

    installer_id: str
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class ForgetGonePhone(Command):
    """The push service says a subscription no longer exists: stop pushing to it."""

    endpoint: str


@dataclass(frozen=True)
class UnsubscribePush(Command):
    """An installer's phone no longer wants Web Push."""

    installer_id: str
    subscription_id: str


@dataclass(frozen=True)
class LeaseDueMessages(Command):
    """The relay takes due outbox messages for delivery, hiding each for ``lease_s``.

    Each lease counts an attempt; if the relay dies, the lease runs out and the message goes
    again with the same reference.
    """

    limit: int
    lease_s: float


@dataclass(frozen=True)
class RecordDelivery(Command):
    """A message was delivered: it is sent, and any secret it carried is erased."""

    message: OutgoingMessage


@dataclass(frozen=True)
class RecordDeliveryFailure(Command):
    """A delivery failed: retry at ``retry_at``, or give up (None) and tell a manager."""

    message: OutgoingMessage
    error: str
    retry_at: datetime | None


@dataclass(frozen=True)
class PrepareDeployment(Command):
    """Every start: a policy in force, an admin who can log in, the Web Push key pair.

    ``admin_password`` is used only for the very first account; without one a password is
    generated and returned, to be printed once.
    """

    admin_password: str | None
