"""Every response body of the API, each shape defined once, beside the function that builds it.

A shape is a ``TypedDict``: routes send the dict as built, mypy checks every key of it against
the shape, and the same class is the route's ``response_model``, so ``/openapi.json`` documents
exactly what is sent (a shape's docstring is its schema's description). A key only some answers
carry is ``NotRequired``.

Visibility is decided here too: an installer looking at an order they do not hold sees the
customer masked, and no installer sees the tracking link or the shop's own reference.

Not here: the escalation policy, whose request and answer are one model (``PolicyBody`` in
``requests.py``), and problem documents (``problems.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from dispatchd.config import Settings
from dispatchd.domain import arrival
from dispatchd.domain.alerts import Alert
from dispatchd.domain.appointments import Appointment
from dispatchd.domain.assignment import RankedCandidate
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.geo import Point
from dispatchd.domain.holds import Suspension
from dispatchd.domain.installers import Installer
from dispatchd.domain.ledger import LedgerEntry
from dispatchd.domain.offers import Offer
from dispatchd.domain.orders import RESCHEDULABLE, FollowUp, Order, OrderStatus
from dispatchd.domain.promises import Promise, PromiseKind
from dispatchd.domain.ratings import Rating, RatingSummary
from dispatchd.domain.timefmt import rfc3339, rfc3339_or_none
from dispatchd.notify.templates import format_window
from dispatchd.service.actors import Actor
from dispatchd.service.handlers.accounts import IssuedToken
from dispatchd.store.event_log import LoggedEvent
from dispatchd.store.push import PushSubscription
from dispatchd.store.users import UserRecord
from dispatchd.store.zones import ZoneRecord


class PointOut(TypedDict):
    """A WGS84 position in decimal degrees."""

    lat: float
    lon: float


def point_view(point: Point) -> PointOut:
    """A position as the contract writes it, ``{"lat", "lon"}``."""
    return {"lat": point.lat, "lon": point.lon}


class OfferedOrder(TypedDict):
    """What an offered job is about: all the installer needs to decide, without the customer."""

    address: str
    location: PointOut
    product: str
    skills: list[str]
    notes: str | None
    fee: int


class OfferOut(TypedDict):
    """An offer of an order to an installer, with the next step of its ladder while active."""

    id: str
    order_id: str
    installer_id: str
    status: str
    sent_at: str
    step_started_at: str | None
    next_step_at: str | None
    attempt: int
    next_action: str | None
    next_amount: int | None
    ended_at: str | None
    order: NotRequired[OfferedOrder]


def offer_view(offer: Offer, order: Order | None = None) -> OfferOut:
    """An offer, with what comes next on its ladder; with ``order``, a summary for the app."""
    view: OfferOut = {
        "id": offer.id,
        "order_id": offer.order_id,
        "installer_id": offer.installer_id,
        "status": offer.status.value,
        "sent_at": rfc3339(offer.sent_at),
        "step_started_at": None,
        "next_step_at": rfc3339_or_none(offer.next_step_at),
        "attempt": offer.attempt,
        "next_action": None,
        "next_amount": None,
        "ended_at": rfc3339_or_none(offer.ended_at),
    }
    if offer.is_active:
        step = offer.ladder.step(offer.next_step)
        view["next_action"] = step.action.value
        view["next_amount"] = step.amount if step.action is StepAction.PENALIZE else None
        if offer.next_step_at is not None:
            started = offer.next_step_at - timedelta(seconds=step.after_s)
            view["step_started_at"] = rfc3339(started)
    if order is not None:
        view["order"] = {
            "address": order.address,
            "location": point_view(order.location),
            "product": order.product,
            "skills": list(order.skills),
            "notes": order.notes,
            "fee": order.fee,
        }
    return view


class OfferList(TypedDict):
    """Offers waiting for the installer's answer, each with what it is about."""

    items: list[OfferOut]


class CustomerOut(TypedDict):
    """The customer as the caller may see them (masked for an installer not holding the job)."""

    name: str
    phone: str


class FollowUpOut(TypedDict):
    """The outcome of a manager's call about a flagged completion, and who made it."""

    outcome: str
    note: str | None
    at: str
    by: str


def follow_up_view(follow_up: FollowUp) -> FollowUpOut:
    """A resolved follow-up call."""
    return {
        "outcome": follow_up.outcome,
        "note": follow_up.note,
        "at": rfc3339(follow_up.at),
        "by": follow_up.by,
    }


class OrderEventOut(TypedDict):
    """One entry of an order's history: the event as the live stream sent it."""

    id: int
    event: str
    order_id: str
    installer_id: str | None
    at: str
    data: dict[str, Any]


def event_view(event: LoggedEvent) -> OrderEventOut:
    """One entry of an order's history."""
    return {
        "id": event.id,
        "event": event.name,
        "order_id": event.order_id,
        "installer_id": event.installer_id,
        "at": rfc3339(event.at),
        "data": event.data,
    }


class AppointmentOut(TypedDict):
    """The arrival window agreed with the customer, when it was set, how often it moved."""

    window_start: str
    window_end: str
    set_at: str
    moves: int


class PromiseOut(TypedDict):
    """A promise after acceptance and where its ladder stands."""

    kind: str
    since: str
    step_started_at: str | None
    next_step_at: str | None
    next_action: str | None
    steps_taken: int
    kept_at: str | None
    paused: bool


class SuspensionOut(TypedDict):
    """Why and since when a job is on hold, until when, and the status it will resume to."""

    reason: str
    note: str | None
    since: str
    until: str | None
    from_status: str


def appointment_view(appointment: Appointment) -> AppointmentOut:
    """The window in the contract's times."""
    return {
        "window_start": rfc3339(appointment.window_start),
        "window_end": rfc3339(appointment.window_end),
        "set_at": rfc3339(appointment.set_at),
        "moves": appointment.moves,
    }


def promise_view(promise: Promise) -> PromiseOut:
    """One promise: when its next step comes and what it will do."""
    step = promise.next_step if promise.is_open else None
    started = (
        None
        if step is None or promise.next_step_at is None
        else promise.next_step_at - timedelta(seconds=step.after_s)
    )
    return {
        "kind": promise.kind.value,
        "since": rfc3339(promise.since),
        "step_started_at": rfc3339_or_none(started),
        "next_step_at": rfc3339_or_none(promise.next_step_at),
        "next_action": step.action.value if step is not None else None,
        "steps_taken": promise.steps_taken,
        "kept_at": rfc3339_or_none(promise.kept_at),
        "paused": promise.paused,
    }


def suspension_view(suspension: Suspension) -> SuspensionOut:
    """The hold."""
    return {
        "reason": suspension.reason.value,
        "note": suspension.note,
        "since": rfc3339(suspension.since),
        "until": rfc3339_or_none(suspension.until),
        "from_status": suspension.from_status,
    }


def _promises_of(order: Order) -> list[PromiseOut]:
    """The current installer's promises, in the order they come (none before acceptance)."""
    if order.installer_id is None:
        return []
    return [
        promise_view(order.promises[kind])
        for kind in PromiseKind
        if kind in order.promises and order.promises[kind].installer_id == order.installer_id
    ]


class RatingOut(TypedDict):
    """The customer's rating of the finished job."""

    stars: int
    comment: str | None
    at: str


def rating_view(rating: Rating) -> RatingOut:
    """A job's rating."""
    return {"stars": rating.stars, "comment": rating.comment, "at": rfc3339(rating.at)}


class OrderOut(TypedDict):
    """An order (with ``offers`` and ``events`` on the detail view)."""

    id: str
    status: str
    zone_id: str | None
    customer: CustomerOut
    address: str
    location: PointOut
    product: str
    skills: list[str]
    notes: str | None
    external_ref: str | None
    installer_id: str | None
    current_offer: OfferOut | None
    attempts: int
    awaiting_dispatcher: bool
    flags: list[str]
    follow_up: FollowUpOut | None
    created_at: str
    accepted_at: str | None
    started_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    tracking_url: str | None
    fee: int
    appointment: AppointmentOut | None
    on_the_way_at: str | None
    promises: list[PromiseOut]
    suspension: SuspensionOut | None
    rating: RatingOut | None
    offers: NotRequired[list[OfferOut]]
    events: NotRequired[list[OrderEventOut]]


def order_view(
    order: Order,
    actor: Actor,
    public_url: str,
    events: list[LoggedEvent] | None = None,
    with_offers: bool = False,
) -> OrderOut:
    """An order as the actor may see it; the detail view adds offers and events."""
    installer_id = actor.installer_id
    holder = installer_id is None or order.installer_id == installer_id
    current = order.current_offer
    if current is not None and installer_id not in (None, current.installer_id):
        current = None
    view: OrderOut = {
        "id": order.id,
        "status": order.status.value,
        "zone_id": order.zone_id,
        "customer": {
            "name": order.customer.name if holder else _mask_name(order.customer.name),
            "phone": order.customer.phone if holder else _mask_phone(order.customer.phone),
        },
        "address": order.address,
        "location": point_view(order.location),
        "product": order.product,
        "skills": list(order.skills),
        "notes": order.notes,
        "external_ref": order.external_ref if installer_id is None else None,
        "installer_id": order.installer_id,
        "current_offer": offer_view(current) if current else None,
        "attempts": order.attempts,
        "awaiting_dispatcher": order.awaiting_dispatcher,
        "flags": list(order.flags),
        "follow_up": follow_up_view(order.follow_up) if order.follow_up else None,
        "created_at": rfc3339(order.created_at),
        "accepted_at": rfc3339_or_none(order.accepted_at),
        "started_at": rfc3339_or_none(order.started_at),
        "completed_at": rfc3339_or_none(order.completed_at),
        "cancelled_at": rfc3339_or_none(order.cancelled_at),
        "tracking_url": (
            f"{public_url}/t/{order.tracking_token}" if installer_id is None else None
        ),
        "fee": order.fee,
        "appointment": appointment_view(order.appointment) if order.appointment else None,
        "on_the_way_at": rfc3339_or_none(order.on_the_way_at),
        "promises": _promises_of(order),
        "suspension": suspension_view(order.suspension) if order.suspension else None,
        "rating": rating_view(order.rating) if order.rating else None,
    }
    if with_offers:
        view["offers"] = [
            offer_view(offer)
            for offer in order.offers
            if installer_id is None or offer.installer_id == installer_id
        ]
    if events is not None:
        view["events"] = [event_view(event) for event in events]
    return view


class OrderPage(TypedDict):
    """A page of orders, newest first; ``next_cursor`` asks for the next page."""

    items: list[OrderOut]
    next_cursor: str | None


class JobList(TypedDict):
    """The jobs an installer holds: accepted or started."""

    items: list[OrderOut]


def _mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)


def _mask_phone(phone: str) -> str:
    return phone[:4] + "*" * max(0, len(phone) - 8) + phone[-4:] if len(phone) > 8 else "****"


class LocationOut(TypedDict):
    """Where an installer's phone last was, when, and how precisely."""

    lat: float
    lon: float
    at: str
    accuracy_m: float | None


class InstallerOut(TypedDict):
    """An installer with their work-state: workload (offers and jobs) and ledger balance."""

    id: str
    name: str
    phone: str
    zone_ids: list[str]
    capacity: int
    skills: list[str]
    on_duty: bool
    location: LocationOut | None
    active_jobs: int
    balance: int
    rating: RatingSummaryOut | None


class RatingSummaryOut(TypedDict):
    """What the customers' ratings of an installer's jobs add up to."""

    average: float
    count: int


def installer_view(
    installer: Installer, active_jobs: int, balance: int, rating: RatingSummary | None = None
) -> InstallerOut:
    """An installer with workload, balance and rating (null until a customer rated a job)."""
    location: LocationOut | None = None
    if installer.location is not None and installer.location_at is not None:
        location = {
            "lat": installer.location.lat,
            "lon": installer.location.lon,
            "at": rfc3339(installer.location_at),
            "accuracy_m": installer.accuracy_m,
        }
    return {
        "id": installer.id,
        "name": installer.name,
        "phone": installer.phone,
        "zone_ids": list(installer.zone_ids),
        "capacity": installer.capacity,
        "skills": list(installer.skills),
        "on_duty": installer.on_duty,
        "location": location,
        "active_jobs": active_jobs,
        "balance": balance,
        "rating": (
            {"average": round(rating.average, 2), "count": rating.count} if rating else None
        ),
    }


class InstallerList(TypedDict):
    """Installers the caller may see."""

    items: list[InstallerOut]


class LedgerEntryOut(TypedDict):
    """One booking in an installer's ledger (negative for a deduction), in minor units."""

    id: str
    amount: int
    reason: str
    offer_id: str | None
    order_id: str | None
    at: str
    note: str | None
    entry_id: str | None
    by: str | None


def ledger_entry_view(entry: LedgerEntry) -> LedgerEntryOut:
    """One ledger booking; a waiver names the penalty it reverses, a manual one its author."""
    return {
        "id": entry.id,
        "amount": entry.amount,
        "reason": entry.reason,
        "offer_id": entry.offer_id,
        "order_id": entry.order_id,
        "at": rfc3339(entry.at),
        "note": entry.note,
        "entry_id": entry.entry_id,
        "by": entry.by,
    }


class LedgerOut(TypedDict):
    """An installer's ledger, newest first, their balance and its currency."""

    items: list[LedgerEntryOut]
    balance: int
    currency: str


def ledger_view(entries: list[LedgerEntry], balance: int, currency: str) -> LedgerOut:
    """A ledger page with the installer's whole balance."""
    return {
        "items": [ledger_entry_view(entry) for entry in entries],
        "balance": balance,
        "currency": currency,
    }


class ZoneOut(TypedDict):
    """A zone: its name and its GeoJSON boundary (positions ``[lon, lat]``).

    ``boundary`` is null, and ``boundary_problem`` says why and how to fix it, only for a
    stored zone whose boundary does not read back as valid geometry.
    """

    id: str
    name: str
    boundary: dict[str, Any] | None
    boundary_problem: str | None


def zone_view(zone: ZoneRecord) -> ZoneOut:
    """A zone."""
    return {
        "id": zone.id,
        "name": zone.name,
        "boundary": zone.boundary,
        "boundary_problem": zone.boundary_problem,
    }


class ZoneList(TypedDict):
    """Every zone the caller may see."""

    items: list[ZoneOut]


class AlertOut(TypedDict):
    """An item of the console's inbox."""

    id: str
    type: str
    order_id: str
    offer_id: str | None
    installer_id: str | None
    zone_id: str | None
    detail: str | None
    at: str
    acknowledged_at: str | None


def alert_view(alert: Alert) -> AlertOut:
    """An inbox item."""
    return {
        "id": alert.id,
        "type": alert.type.value,
        "order_id": alert.order_id,
        "offer_id": alert.offer_id,
        "installer_id": alert.installer_id,
        "zone_id": alert.zone_id,
        "detail": alert.detail,
        "at": rfc3339(alert.at),
        "acknowledged_at": rfc3339_or_none(alert.acknowledged_at),
    }


class AlertList(TypedDict):
    """Alerts, newest first."""

    items: list[AlertOut]


class UserOut(TypedDict):
    """An account, never with its password."""

    id: str
    username: str
    role: str
    installer_id: str | None
    zone_ids: list[str]


class UserList(TypedDict):
    """Every account, without secrets."""

    items: list[UserOut]


def user_view(user: UserRecord) -> UserOut:
    """An account without its secret."""
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "installer_id": user.installer_id,
        "zone_ids": list(user.zone_ids),
    }


class TokenResponse(TypedDict):
    """A bearer token, who it belongs to, and when it stops working."""

    access_token: str
    token_type: Literal["bearer"]
    role: str
    installer_id: str | None
    expires_at: str


def token_view(issued: IssuedToken) -> TokenResponse:
    """A freshly issued token as the caller receives it (the only time it is shown)."""
    return {
        "access_token": issued.token,
        "token_type": "bearer",
        "role": issued.user.role,
        "installer_id": issued.user.installer_id,
        "expires_at": rfc3339(issued.expires_at),
    }


class SessionOut(TypedDict):
    """Who a session belongs to, until when, and the server's time (for the page's clock)."""

    username: str
    role: str
    installer_id: str | None
    zone_ids: list[str] | None
    expires_at: str
    now: str


def session_view(username: str, actor: Actor, expires_at: datetime, now: datetime) -> SessionOut:
    """The session's owner as the actor the server sees, with the token's end of life."""
    return {
        "username": username,
        "role": actor.role.value,
        "installer_id": actor.installer_id,
        "zone_ids": sorted(actor.zone_ids) if actor.zone_ids is not None else None,
        "expires_at": rfc3339(expires_at),
        "now": rfc3339(now),
    }


class VapidPublicKey(TypedDict):
    """The key a browser subscribes with (``applicationServerKey``)."""

    public_key: str


class PushSubscriptionOut(TypedDict):
    """A stored subscription (its keys are not echoed)."""

    id: str
    endpoint: str
    created_at: str


def push_subscription_view(subscription: PushSubscription) -> PushSubscriptionOut:
    """A phone's push subscription, without the keys its messages are encrypted for."""
    return {
        "id": subscription.id,
        "endpoint": subscription.endpoint,
        "created_at": rfc3339(subscription.created_at),
    }


class CandidateOut(TypedDict):
    """One installer as the manual assignment list ranks them, with why not, if not."""

    installer_id: str
    name: str
    phone: str
    on_duty: bool
    active_jobs: int
    capacity: int
    zone_ids: list[str]
    serves_order_zone: bool
    distance_m: float | None
    eligible: bool
    why_not: list[str]
    score: float
    terms: ScoreTermsOut


class ScoreTermsOut(TypedDict):
    """A candidate's score, part by part: weighted distance, workload and rating."""

    distance: float
    workload: float
    rating: float


def candidate_view(
    installer: Installer, ranked: RankedCandidate, order_zone_ids: frozenset[str]
) -> CandidateOut:
    """An installer as ranked for an order placed in ``order_zone_ids``."""
    return {
        "installer_id": installer.id,
        "name": installer.name,
        "phone": installer.phone,
        "on_duty": installer.on_duty,
        "active_jobs": ranked.candidate.active_jobs,
        "capacity": installer.capacity,
        "zone_ids": list(installer.zone_ids),
        "serves_order_zone": bool(order_zone_ids & set(installer.zone_ids)),
        "distance_m": None if ranked.distance_m is None else round(ranked.distance_m, 1),
        "eligible": ranked.eligible,
        "why_not": list(ranked.why_not),
        "score": round(ranked.score, 3),
        "terms": {
            "distance": round(ranked.terms.distance, 3),
            "workload": round(ranked.terms.workload, 3),
            "rating": round(ranked.terms.rating, 3),
        },
    }


class CandidatesOut(TypedDict):
    """Installers for an order: eligible first, then by the policy's ranking."""

    order_id: str
    items: list[CandidateOut]


class DayStats(TypedDict):
    """One day's figures."""

    date: str
    offers_sent: int
    accepted: int
    revocations: int
    penalties: int
    penalty_amount: int
    completions: int
    flagged_completions: int
    median_accept_s: float | None
    fees_credited: int
    penalties_booked: int
    penalties_waived: int
    waivers: int


class AcceptBucket(TypedDict):
    """How many offers were accepted within ``up_to_s`` seconds (and after the bucket before)."""

    up_to_s: int | None
    count: int


class TimeToAccept(TypedDict):
    """Time from an offer being sent to its acceptance, over the whole window."""

    count: int
    median_s: float | None
    p90_s: float | None
    buckets: list[AcceptBucket]


class StatsOut(TypedDict):
    """KPIs of the console, for the caller's zones."""

    since: str
    until: str
    utc_offset_min: int
    currency: str
    days: list[DayStats]
    time_to_accept: TimeToAccept
    orders_by_status: dict[str, int]


class TrackedInstaller(TypedDict):
    """Who is coming, as the customer sees them: a name to expect and a number to call (the
    installer's, or the office's when ``DISPATCHD_CUSTOMER_PHONE_MODE=office``)."""

    name: str
    phone: str


class TrackedAppointment(TypedDict):
    """The agreed window, in UTC and as the customer reads it in the deployment's zone."""

    window_start: str
    window_end: str
    window_local: str
    timezone: str
    set_at: str


class TrackedOrder(TypedDict):
    """What the customer's tracking link shows, and nothing else of the system: status and
    timeline, who is coming, the window, how far the installer on the way is (straight line,
    with an estimate at 25 km/h over 1.3 × that distance), whether the job can be rated or
    the visit moved, and the rating once given."""

    status: str
    product: str
    created_at: str
    accepted_at: str | None
    on_the_way_at: str | None
    started_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    installer: TrackedInstaller | None
    appointment: TrackedAppointment | None
    distance_km: float | None
    eta_min: int | None
    can_rate: bool
    can_reschedule: bool
    rating: RatingOut | None


SHOWS_INSTALLER = frozenset({OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED})


def tracked_order_view(
    order: Order, installer: Installer | None, settings: Settings
) -> TrackedOrder:
    """The order as its customer may see it; ``installer`` only once one has accepted."""
    shown = installer if installer and order.status in SHOWS_INSTALLER else None
    distance = None
    if (
        shown is not None
        and shown.location is not None
        and order.status is OrderStatus.ACCEPTED
        and order.on_the_way_at is not None
    ):
        distance = arrival.distance_km(shown.location, order.location)
    appointment: TrackedAppointment | None = None
    if order.appointment is not None and order.status in RESCHEDULABLE | SHOWS_INSTALLER:
        start, end = order.appointment.window_start, order.appointment.window_end
        appointment = {
            "window_start": rfc3339(start),
            "window_end": rfc3339(end),
            "window_local": format_window(start, end, settings.zone, settings.locale),
            "timezone": settings.timezone,
            "set_at": rfc3339(order.appointment.set_at),
        }
    return {
        "status": order.status.value,
        "product": order.product,
        "created_at": rfc3339(order.created_at),
        "accepted_at": rfc3339_or_none(order.accepted_at),
        "on_the_way_at": rfc3339_or_none(order.on_the_way_at),
        "started_at": rfc3339_or_none(order.started_at),
        "completed_at": rfc3339_or_none(order.completed_at),
        "cancelled_at": rfc3339_or_none(order.cancelled_at),
        "installer": (
            {"name": shown.name, "phone": settings.customer_facing_phone(shown.phone)}
            if shown
            else None
        ),
        "appointment": appointment,
        "distance_km": distance,
        "eta_min": arrival.eta_minutes(distance) if distance is not None else None,
        "can_rate": order.status is OrderStatus.COMPLETED and order.rating is None,
        "can_reschedule": order.status in RESCHEDULABLE,
        "rating": rating_view(order.rating) if order.rating else None,
    }


class RatingCreated(TypedDict):
    """The rating as stored."""

    stars: int
    comment: str | None
    at: str


class RescheduleAccepted(TypedDict):
    """The request to move the visit was passed on; the window changes when it is agreed."""

    status: Literal["requested"]
    reason: str
    preferred_start: str | None


class MessageTemplateOut(TypedDict):
    """One customer message in one locale: the words in use, the shipped ones, the
    placeholders it may use, and who last edited it (null: never edited)."""

    name: str
    locale: str
    body: str
    default_body: str
    placeholders: list[str]
    required: list[str]
    edited: bool
    updated_at: str | None
    updated_by: str | None


class MessageTemplateList(TypedDict):
    """Every customer message in every locale."""

    items: list[MessageTemplateOut]
    max_length: int
