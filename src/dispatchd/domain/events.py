"""Events: the past-tense facts every state change leaves behind, one class per fact.

They are appended to the event log in the same transaction as the change, streamed to the
clients and replayed to a client that reconnects. Here they carry domain values (times,
points, states); how they look on the wire is decided in one place at the edge
(``store/event_codec.py``). The names are the public contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, TypedDict

from dispatchd.domain.alerts import AlertClosure, AlertType
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.geo import Point
from dispatchd.domain.offers import OfferStatus
from dispatchd.domain.promises import PromiseAction, PromiseKind

if TYPE_CHECKING:
    from dispatchd.domain.orders import OrderStatus


class EventName(StrEnum):
    """Every event name of the contract."""

    ORDER_CREATED = "order.created"
    OFFER_SENT = "offer.sent"
    OFFER_REMINDED = "offer.reminded"
    OFFER_PENALIZED = "offer.penalized"
    OFFER_REVOKED = "offer.revoked"
    OFFER_ACCEPTED = "offer.accepted"
    OFFER_DECLINED = "offer.declined"
    OFFER_WITHDRAWN = "offer.withdrawn"
    CUSTOMER_NOTIFIED = "customer.notified"
    ORDER_STARTED = "order.started"
    ORDER_COMPLETED = "order.completed"
    ORDER_FLAGGED = "order.flagged"
    ORDER_FOLLOW_UP_RESOLVED = "order.follow_up_resolved"
    ORDER_CANCELLED = "order.cancelled"
    ALERT_RAISED = "alert.raised"
    ALERT_CLOSED = "alert.closed"
    ORDER_APPOINTMENT_SET = "order.appointment_set"
    ORDER_APPOINTMENT_MOVED = "order.appointment_moved"
    ORDER_ON_THE_WAY = "order.on_the_way"
    ORDER_SUSPENDED = "order.suspended"
    ORDER_RESUMED = "order.resumed"
    ORDER_HANDED_BACK = "order.handed_back"
    ORDER_REASSIGNED = "order.reassigned"
    PROMISE_REMINDED = "promise.reminded"
    PROMISE_PENALIZED = "promise.penalized"
    PROMISE_BREACHED = "promise.breached"
    PROMISE_KEPT = "promise.kept"
    ORDER_RATED = "order.rated"
    ORDER_RESCHEDULE_REQUESTED = "order.reschedule_requested"


class Addressed(TypedDict):
    """Which order an event is about, when, and who may see it."""

    order_id: str
    at: datetime
    zone_id: str | None
    installer_id: str | None


@dataclass(frozen=True, kw_only=True)
class OrderEvent:
    """A fact about one order, addressed to whoever may see it.

    ``installer_id`` names the installer the event concerns (they see it on their phone);
    ``zone_id`` decides which managers see it.
    """

    name: ClassVar[EventName]
    order_id: str
    at: datetime
    zone_id: str | None = None
    installer_id: str | None = None


@dataclass(frozen=True)
class OfferFacts:
    """An offer as it stood when the event happened."""

    offer_id: str
    status: OfferStatus
    attempt: int
    sent_at: datetime
    next_step_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class OrderCreated(OrderEvent):
    """A shop's service request came in."""

    name = EventName.ORDER_CREATED
    status: OrderStatus


@dataclass(frozen=True, kw_only=True)
class OfferSent(OrderEvent):
    """The order was offered to an installer (S201/S401), with what they need to decide."""

    name = EventName.OFFER_SENT
    offer: OfferFacts
    address: str
    product: str
    location: Point
    notes: str | None


@dataclass(frozen=True, kw_only=True)
class LadderStepTaken(OrderEvent):
    """A rung of the offer's ladder ran because nobody answered."""

    offer: OfferFacts
    step: int
    action: StepAction


@dataclass(frozen=True, kw_only=True)
class OfferReminded(LadderStepTaken):
    """The installer's phone was reminded, insistently (S203)."""

    name = EventName.OFFER_REMINDED


@dataclass(frozen=True, kw_only=True)
class OfferPenalized(LadderStepTaken):
    """A second reminder carried a penalty, booked at that moment (S204)."""

    name = EventName.OFFER_PENALIZED
    amount: int


@dataclass(frozen=True, kw_only=True)
class OfferRevoked(LadderStepTaken):
    """Still no answer: the offer was revoked on the installer's phone (S205/S405)."""

    name = EventName.OFFER_REVOKED


@dataclass(frozen=True, kw_only=True)
class OfferAccepted(OrderEvent):
    """The installer confirmed: the job is theirs (S301)."""

    name = EventName.OFFER_ACCEPTED
    offer: OfferFacts


@dataclass(frozen=True, kw_only=True)
class OfferDeclined(OrderEvent):
    """The installer turned the job down."""

    name = EventName.OFFER_DECLINED
    offer: OfferFacts
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class OfferWithdrawn(OrderEvent):
    """A manager took the offer back (reassignment or cancellation)."""

    name = EventName.OFFER_WITHDRAWN
    offer: OfferFacts
    reason: str


@dataclass(frozen=True, kw_only=True)
class CustomerNotified(OrderEvent):
    """The customer was sent who is coming and the service code (S302)."""

    name = EventName.CUSTOMER_NOTIFIED
    channel: str
    message_id: int


@dataclass(frozen=True, kw_only=True)
class OrderStarted(OrderEvent):
    """The installer reported the start of the installation (S303)."""

    name = EventName.ORDER_STARTED
    status: OrderStatus


@dataclass(frozen=True, kw_only=True)
class OrderCompleted(OrderEvent):
    """Photo and completion received, with or without the code (S304)."""

    name = EventName.ORDER_COMPLETED
    status: OrderStatus
    flags: tuple[str, ...]
    has_photo: bool
    fee: int = 0


@dataclass(frozen=True, kw_only=True)
class OrderFlagged(OrderEvent):
    """A completion without a confirmed code needs a manager's call ([0066])."""

    name = EventName.ORDER_FLAGGED
    flag: str


@dataclass(frozen=True, kw_only=True)
class FollowUpResolved(OrderEvent):
    """A manager called the customer about a flagged completion."""

    name = EventName.ORDER_FOLLOW_UP_RESOLVED
    outcome: str
    flags: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(OrderEvent):
    """The job was called off."""

    name = EventName.ORDER_CANCELLED
    status: OrderStatus
    reason: str


@dataclass(frozen=True, kw_only=True)
class AlertRaised(OrderEvent):
    """Something about the order went into the console's inbox.

    ``alerted_about`` is the installer the alert concerns; the event itself is addressed to
    managers only.
    """

    name = EventName.ALERT_RAISED
    alert_id: str
    type: AlertType
    offer_id: str | None
    alerted_about: str | None
    detail: str | None


@dataclass(frozen=True, kw_only=True)
class AlertClosed(OrderEvent):
    """An inbox item closed: a manager acknowledged it, or what it asked for has happened.

    Addressed like the ``alert.raised`` it ends (the alert's zone, managers only), so every
    open console can drop the item without reading the inbox again.
    """

    name = EventName.ALERT_CLOSED
    alert_id: str
    type: AlertType
    reason: AlertClosure


@dataclass(frozen=True, kw_only=True)
class AppointmentSet(OrderEvent):
    """The installer and the customer agreed an arrival window ([0063])."""

    name = EventName.ORDER_APPOINTMENT_SET
    window_start: datetime
    window_end: datetime


@dataclass(frozen=True, kw_only=True)
class AppointmentMoved(OrderEvent):
    """The agreed window moved, for a reason; ``moves`` counts how often."""

    name = EventName.ORDER_APPOINTMENT_MOVED
    window_start: datetime
    window_end: datetime
    reason: str
    moves: int


@dataclass(frozen=True, kw_only=True)
class OnTheWay(OrderEvent):
    """The installer set off to the customer."""

    name = EventName.ORDER_ON_THE_WAY


@dataclass(frozen=True, kw_only=True)
class OrderRated(OrderEvent):
    """The customer rated the finished job; ``installer_id`` is the installer rated."""

    name = EventName.ORDER_RATED
    stars: int
    comment: str | None


@dataclass(frozen=True, kw_only=True)
class RescheduleRequested(OrderEvent):
    """The customer asked to move the appointment; the installer's phone is told."""

    name = EventName.ORDER_RESCHEDULE_REQUESTED
    reason: str
    preferred_start: datetime | None


@dataclass(frozen=True, kw_only=True)
class OrderSuspended(OrderEvent):
    """The job is on hold (customer not home, parts missing …); its promises pause."""

    name = EventName.ORDER_SUSPENDED
    reason: str
    note: str | None
    until: datetime | None
    from_status: OrderStatus


@dataclass(frozen=True, kw_only=True)
class OrderResumed(OrderEvent):
    """The job goes on where it stood; each promise with the time it had left."""

    name = EventName.ORDER_RESUMED
    status: OrderStatus


@dataclass(frozen=True, kw_only=True)
class OrderHandedBack(OrderEvent):
    """The installer gave the job back before starting; it goes to someone else."""

    name = EventName.ORDER_HANDED_BACK
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrderReassigned(OrderEvent):
    """The job was taken from its installer (``installer_id``) to be offered to another."""

    name = EventName.ORDER_REASSIGNED
    reason: str
    by: str


@dataclass(frozen=True, kw_only=True)
class PromiseStepRan(OrderEvent):
    """A step of a promise's ladder ran because the promise was not yet kept."""

    kind: PromiseKind
    step: int
    action: PromiseAction


@dataclass(frozen=True, kw_only=True)
class PromiseReminded(PromiseStepRan):
    """The installer's phone was reminded of the promise."""

    name = EventName.PROMISE_REMINDED


@dataclass(frozen=True, kw_only=True)
class PromisePenalized(PromiseStepRan):
    """The promise's penalty was booked."""

    name = EventName.PROMISE_PENALIZED
    amount: int


@dataclass(frozen=True, kw_only=True)
class PromiseBreached(PromiseStepRan):
    """The promise was not kept in time: the console is alerted (or the job reassigned)."""

    name = EventName.PROMISE_BREACHED


@dataclass(frozen=True, kw_only=True)
class PromiseKept(OrderEvent):
    """The promise was kept; its ladder ends."""

    name = EventName.PROMISE_KEPT
    kind: PromiseKind
