"""The service request: from a customer's purchase to a job accepted, started and completed.

``Order`` is the aggregate the dispatcher reasons about. It owns its offers, so that "at most
one active offer per order" and "an accepted order has exactly one accepted offer" are kept by
one object, and it records the events each change causes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dispatchd.domain.appointments import Appointment, window_errors
from dispatchd.domain.errors import FieldError, IllegalTransition, InvalidInput
from dispatchd.domain.escalation import DEFAULT_POLICY, Ladder, Policy, StepAction
from dispatchd.domain.events import (
    Addressed,
    AppointmentMoved,
    AppointmentSet,
    CustomerNotified,
    FollowUpResolved,
    LadderStepTaken,
    OfferAccepted,
    OfferDeclined,
    OfferFacts,
    OfferPenalized,
    OfferReminded,
    OfferRevoked,
    OfferSent,
    OfferWithdrawn,
    OnTheWay,
    OrderCancelled,
    OrderCompleted,
    OrderCreated,
    OrderEvent,
    OrderFlagged,
    OrderHandedBack,
    OrderRated,
    OrderReassigned,
    OrderResumed,
    OrderStarted,
    OrderSuspended,
    PromiseBreached,
    PromiseKept,
    PromisePenalized,
    PromiseReminded,
    PromiseStepRan,
    RescheduleRequested,
)
from dispatchd.domain.geo import Point
from dispatchd.domain.holds import Release, ReleaseKind, SuspendReason, Suspension
from dispatchd.domain.offers import Offer, OfferStatus, StepTaken
from dispatchd.domain.promises import Promise, PromiseAction, PromiseKind, PromiseStepTaken
from dispatchd.domain.ratings import Rating
from dispatchd.domain.service_code import (
    CODE_DIGITS,
    MAX_WRONG_CODES,
    normalize_service_code,
    service_code_matches,
)


class OrderStatus(StrEnum):
    """Where a service request stands, as the console's board columns show it."""

    PENDING = "pending"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    SUSPENDED = "suspended"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.OFFERED, OrderStatus.CANCELLED}),
    OrderStatus.OFFERED: frozenset(
        {OrderStatus.PENDING, OrderStatus.ACCEPTED, OrderStatus.CANCELLED}
    ),
    OrderStatus.ACCEPTED: frozenset(
        {
            OrderStatus.IN_PROGRESS,
            OrderStatus.SUSPENDED,
            OrderStatus.PENDING,
            OrderStatus.CANCELLED,
        }
    ),
    OrderStatus.SUSPENDED: frozenset(
        {
            OrderStatus.ACCEPTED,
            OrderStatus.IN_PROGRESS,
            OrderStatus.PENDING,
            OrderStatus.CANCELLED,
        }
    ),
    OrderStatus.IN_PROGRESS: frozenset(
        {
            OrderStatus.COMPLETED,
            OrderStatus.SUSPENDED,
            OrderStatus.PENDING,
            OrderStatus.CANCELLED,
        }
    ),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
OPEN_ORDER_STATUSES = frozenset(
    {
        OrderStatus.PENDING,
        OrderStatus.OFFERED,
        OrderStatus.ACCEPTED,
        OrderStatus.SUSPENDED,
        OrderStatus.IN_PROGRESS,
    }
)
HELD_STATUSES = frozenset({OrderStatus.ACCEPTED, OrderStatus.SUSPENDED, OrderStatus.IN_PROGRESS})
RESCHEDULABLE = frozenset(
    {OrderStatus.PENDING, OrderStatus.OFFERED, OrderStatus.ACCEPTED, OrderStatus.SUSPENDED}
)
LAPSED_OFFER_STATUSES = frozenset({OfferStatus.DECLINED, OfferStatus.REVOKED})
MISSING_SERVICE_CODE = "missing_service_code"
SERVICE_CODE_MISMATCH = "service_code_mismatch"
MAX_SUSPENSION = timedelta(days=90)


@dataclass(frozen=True)
class StoredPhoto:
    """Where a photo was stored, and when it was taken (from its EXIF, if it said)."""

    key: str
    taken_at: datetime | None


@dataclass(frozen=True)
class CompletionProof:
    """What the installer sends at the end: a stored photo, notes, and whether the code matched."""

    photo_key: str
    photo_taken_at: datetime | None
    notes: str | None
    code_confirmed: bool


@dataclass(frozen=True)
class FollowUp:
    """The outcome of a manager's call about a flagged completion, and who made it."""

    outcome: str
    note: str | None
    at: datetime
    by: str


@dataclass(frozen=True)
class Customer:
    """Who bought the product; their phone is already normalised to E.164."""

    name: str
    phone: str


@dataclass
class Order:
    """A service request and every offer made for it, oldest first."""

    id: str
    zone_id: str | None
    customer: Customer
    address: str
    location: Point
    product: str
    created_at: datetime
    tracking_token: str
    skills: tuple[str, ...] = ()
    notes: str | None = None
    external_ref: str | None = None
    status: OrderStatus = OrderStatus.PENDING
    installer_id: str | None = None
    offers: list[Offer] = field(default_factory=list)
    awaiting_dispatcher: bool = False
    flags: list[str] = field(default_factory=list)
    follow_up: FollowUp | None = None
    accepted_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    service_code_hash: str | None = None
    service_code_failures: int = 0
    customer_notified_at: datetime | None = None
    photo_key: str | None = None
    photo_taken_at: datetime | None = None
    completion_notes: str | None = None
    fee: int = 0
    appointment: Appointment | None = None
    on_the_way_at: datetime | None = None
    suspension: Suspension | None = None
    releases: list[Release] = field(default_factory=list)
    promises: dict[PromiseKind, Promise] = field(default_factory=dict)
    rating: Rating | None = None
    events: list[OrderEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        order_id: str,
        zone_id: str | None,
        customer: Customer,
        address: str,
        location: Point,
        product: str,
        now: datetime,
        tracking_token: str,
        skills: tuple[str, ...] = (),
        notes: str | None = None,
        external_ref: str | None = None,
        fee: int = 0,
    ) -> Order:
        """A new request, pending until the dispatcher offers it.

        ``zone_id`` is None for a location no zone covers: the order is kept and waits for a
        manager to assign it or to draw a zone around it.
        """
        order = cls(
            id=order_id,
            zone_id=zone_id,
            customer=customer,
            address=address,
            location=location,
            product=product,
            created_at=now,
            tracking_token=tracking_token,
            skills=skills,
            notes=notes,
            external_ref=external_ref,
            fee=fee,
        )
        order.events.append(OrderCreated(**order._addressed(now), status=order.status))
        return order

    @property
    def current_offer(self) -> Offer | None:
        """The active offer, if one is waiting for an answer."""
        latest = self.offers[-1] if self.offers else None
        return latest if latest is not None and latest.is_active else None

    @property
    def attempts(self) -> int:
        """How many offers this order has been sent, automatic and manual."""
        return len(self.offers)

    @property
    def lapsed_offers(self) -> int:
        """Offers that ended unanswered or declined, and jobs handed back: what
        ``max_auto_attempts`` counts."""
        lapsed = sum(1 for offer in self.offers if offer.status in LAPSED_OFFER_STATUSES)
        return lapsed + sum(1 for r in self.releases if r.kind is ReleaseKind.HANDED_BACK)

    @property
    def excluded_installers(self) -> frozenset[str]:
        """Installers who let this order lapse, declined it, gave it back or had it taken
        away: never offered it automatically again."""
        lapsed = {
            offer.installer_id for offer in self.offers if offer.status in LAPSED_OFFER_STATUSES
        }
        return frozenset(lapsed | {release.installer_id for release in self.releases})

    @property
    def open_promises(self) -> list[Promise]:
        """The promises still watched (kept and ended ones are history)."""
        return [promise for promise in self.promises.values() if promise.is_open]

    @property
    def needs_follow_up(self) -> bool:
        """A flagged completion nobody has followed up yet ([0066])."""
        return bool(self.flags) and self.follow_up is None

    @property
    def is_open(self) -> bool:
        """True until the order is completed or cancelled."""
        return self.status in OPEN_ORDER_STATUSES

    def offer(self, offer_id: str) -> Offer | None:
        """This order's offer with that id, if any."""
        return next((offer for offer in self.offers if offer.id == offer_id), None)

    def offer_to(
        self,
        offer_id: str,
        installer_id: str,
        ladder: Ladder,
        now: datetime,
        policy_version: int = 0,
    ) -> Offer:
        """Send the order to one installer (S201/S401); only a pending order can be offered."""
        self._move_to(OrderStatus.OFFERED)
        offer = Offer.send(
            offer_id, self.id, installer_id, self.attempts + 1, ladder, now, policy_version
        )
        self.offers.append(offer)
        self.awaiting_dispatcher = False
        self.events.append(
            OfferSent(
                **self._addressed(now, installer_id),
                offer=_facts(offer),
                address=self.address,
                product=self.product,
                location=self.location,
                notes=self.notes,
            )
        )
        return offer

    def accept_offer(self, offer_id: str, now: datetime, policy: Policy = DEFAULT_POLICY) -> Offer:
        """The installer confirms (S301): the order is theirs, and their promises start.

        Without an agreed window the appointment promise watches them until they agree one;
        an order taken over with its window already agreed goes straight to the arrival.
        """
        offer = self._active_offer(offer_id, OfferStatus.ACCEPTED)
        offer.accept(now)
        self._move_to(OrderStatus.ACCEPTED)
        self.installer_id = offer.installer_id
        self.accepted_at = now
        self.events.append(
            OfferAccepted(**self._addressed(now, offer.installer_id), offer=_facts(offer))
        )
        if self.appointment is None:
            self._promise(PromiseKind.APPOINTMENT, policy, now)
        else:
            self._promise(PromiseKind.ARRIVAL, policy, self.appointment.window_end)
        return offer

    def decline_offer(self, offer_id: str, now: datetime, reason: str | None) -> Offer:
        """The installer says no; the order is pending again, ready for the next installer."""
        offer = self._active_offer(offer_id, OfferStatus.DECLINED)
        offer.decline(now, reason)
        self._move_to(OrderStatus.PENDING)
        self.events.append(
            OfferDeclined(
                **self._addressed(now, offer.installer_id), offer=_facts(offer), reason=reason
            )
        )
        return offer

    def escalate(self, offer_id: str, step_index: int, now: datetime) -> StepTaken | None:
        """Run the ladder rung that a deadline says is due; stale deadlines change nothing.

        A revoke (S205) leaves the order pending for re-dispatch; a reminder or penalty keeps
        the offer waiting with the next rung scheduled.
        """
        offer = self.offer(offer_id)
        if offer is None:
            return None
        taken = offer.take_step(step_index, now)
        if taken is None:
            return None
        if offer.status is OfferStatus.REVOKED:
            self._move_to(OrderStatus.PENDING)
        self.events.append(ladder_step_event(offer, taken, self.zone_id))
        return taken

    def withdraw_offer(self, now: datetime, reason: str) -> Offer | None:
        """Take back the active offer, if any, so a manager can decide instead."""
        offer = self.current_offer
        if offer is None:
            return None
        offer.withdraw(now, reason)
        self._move_to(OrderStatus.PENDING)
        self.events.append(
            OfferWithdrawn(
                **self._addressed(now, offer.installer_id), offer=_facts(offer), reason=reason
            )
        )
        return offer

    def place_in_zone(self, zone_id: str) -> None:
        """A zone now covers an order that came in outside every zone: it joins that zone."""
        if self.zone_id is not None:
            raise IllegalTransition(
                f"order {self.id}",
                f"in zone {self.zone_id}",
                f"in zone {zone_id}",
                "Only an order outside every zone takes the zone drawn around it.",
            )
        self.zone_id = zone_id

    def wait_for_dispatcher(self) -> None:
        """Stop automatic re-dispatch: the order waits in the console for a manager's choice."""
        self.awaiting_dispatcher = True

    def start(self, now: datetime, policy: Policy = DEFAULT_POLICY) -> None:
        """The installer reports the start of installation (S303): they have arrived.

        The arrival (and a still open appointment) promise is kept; the completion promise
        starts.
        """
        if self.status is not OrderStatus.ACCEPTED:
            raise IllegalTransition(
                f"order {self.id}",
                self.status.value,
                OrderStatus.IN_PROGRESS.value,
                "Only an accepted job can start (resume a suspended one first).",
            )
        self._move_to(OrderStatus.IN_PROGRESS)
        self.started_at = now
        self.events.append(
            OrderStarted(**self._addressed(now, self.installer_id), status=self.status)
        )
        self._keep(PromiseKind.APPOINTMENT, now)
        self._keep(PromiseKind.ARRIVAL, now)
        self._promise(PromiseKind.COMPLETION, policy, now)

    def set_appointment(
        self,
        window_start: datetime,
        window_end: datetime,
        now: datetime,
        reason: str | None,
        policy: Policy = DEFAULT_POLICY,
    ) -> bool:
        """Agree (or move) the arrival window; returns True when it moved an earlier one.

        Agreeing keeps the appointment promise; the arrival promise runs from the window's end
        (a moved window starts it afresh). Moving needs a reason and is counted.
        """
        if self.status not in (OrderStatus.ACCEPTED, OrderStatus.SUSPENDED):
            raise IllegalTransition(
                f"order {self.id}",
                self.status.value,
                "given an appointment",
                "Only an accepted job, not yet started, gets an arrival window.",
            )
        errors = window_errors(window_start, window_end, now, policy.max_window_s)
        moved = self.appointment is not None
        if moved and not (reason or "").strip():
            errors.append(
                FieldError(
                    "reason",
                    "moving an agreed window needs a reason the customer hears",
                    "move_reason_required",
                )
            )
        if errors:
            raise InvalidInput(errors)
        moves = self.appointment.moves + 1 if self.appointment is not None else 0
        self.appointment = Appointment(window_start, window_end, now, moves)
        where = self._addressed(now, self.installer_id)
        if moved:
            self.events.append(
                AppointmentMoved(
                    **where,
                    window_start=window_start,
                    window_end=window_end,
                    reason=(reason or "").strip(),
                    moves=moves,
                )
            )
        else:
            self.events.append(
                AppointmentSet(**where, window_start=window_start, window_end=window_end)
            )
        self._keep(PromiseKind.APPOINTMENT, now)
        self._promise(PromiseKind.ARRIVAL, policy, window_end, restart=True)
        if self.status is OrderStatus.SUSPENDED:
            self.promises[PromiseKind.ARRIVAL].pause(now)
        return moved

    def set_off(self, now: datetime) -> None:
        """The installer is on the way to the customer (the customer's page shows how far)."""
        if self.status is not OrderStatus.ACCEPTED:
            raise IllegalTransition(
                f"order {self.id}",
                self.status.value,
                "on the way",
                "Report setting off on an accepted job before starting it.",
            )
        self.on_the_way_at = now
        self.events.append(OnTheWay(**self._addressed(now, self.installer_id)))

    def suspend(
        self, reason: SuspendReason, note: str | None, until: datetime | None, now: datetime
    ) -> None:
        """Put the job on hold; every open promise pauses with the time it had left."""
        if until is not None and until <= now:
            raise InvalidInput(
                [
                    FieldError(
                        "until",
                        "lies in the past; leave it out or give a later moment",
                        "until_in_past",
                    )
                ]
            )
        if until is not None and until > now + MAX_SUSPENSION:
            raise InvalidInput(
                [
                    FieldError(
                        "until",
                        f"lies more than {MAX_SUSPENSION.days} days ahead; leave it out and "
                        "resume the job by hand, or give an earlier moment",
                        "until_too_far",
                        {"days": MAX_SUSPENSION.days},
                    )
                ]
            )
        from_status = self.status
        if from_status not in (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS):
            raise IllegalTransition(
                f"order {self.id}",
                from_status.value,
                OrderStatus.SUSPENDED.value,
                "Only an accepted or started job can be put on hold.",
            )
        self._move_to(OrderStatus.SUSPENDED)
        self.suspension = Suspension(reason, note, now, until, from_status.value)
        for promise in self.open_promises:
            promise.pause(now)
        self.events.append(
            OrderSuspended(
                **self._addressed(now, self.installer_id),
                reason=reason.value,
                note=note,
                until=until,
                from_status=from_status,
            )
        )

    def resume(self, now: datetime) -> None:
        """Back to where the job stood, each promise with the time it had left."""
        if self.suspension is None or self.status is not OrderStatus.SUSPENDED:
            raise IllegalTransition(
                f"order {self.id}",
                self.status.value,
                "resumed",
                "Only a suspended job can be resumed.",
            )
        self._move_to(OrderStatus(self.suspension.from_status))
        self.suspension = None
        for promise in self.open_promises:
            promise.resume(now)
        self.events.append(
            OrderResumed(**self._addressed(now, self.installer_id), status=self.status)
        )

    def hand_back(self, reason: str, now: datetime, by: str) -> str:
        """The installer gives the job back before starting; returns who had it.

        The order is pending again, never offered to them again, as after a decline.
        """
        if self.status not in (OrderStatus.ACCEPTED, OrderStatus.SUSPENDED) or self.started_at:
            raise IllegalTransition(
                f"order {self.id}",
                self.status.value,
                "handed back",
                "A job can be handed back only before its start; after it, ask a manager.",
            )
        holder = self._release(ReleaseKind.HANDED_BACK, reason, now, by)
        self.events.append(OrderHandedBack(**self._addressed(now, holder), reason=reason))
        return holder

    def take_away(self, reason: str, now: datetime, by: str) -> str:
        """The job is taken from its installer to go to another; returns who had it.

        The service code stays valid; the installer's phone is told and drops the job.
        """
        if self.status not in HELD_STATUSES:
            raise IllegalTransition(
                f"order {self.id}",
                self.status.value,
                "reassigned",
                "Only an accepted, suspended or started job has an installer to take it from.",
            )
        holder = self._release(ReleaseKind.REASSIGNED, reason, now, by)
        self.events.append(OrderReassigned(**self._addressed(now, holder), reason=reason, by=by))
        return holder

    def run_promise_step(
        self, kind: PromiseKind, index: int, now: datetime
    ) -> PromiseStepTaken | None:
        """Run the due step of one of this order's promises; stale steps change nothing."""
        promise = self.promises.get(kind)
        if promise is None:
            return None
        taken = promise.take_step(index, now)
        if taken is not None:
            self.events.append(promise_step_event(self.id, self.zone_id, promise, taken))
        return taken

    @property
    def service_code_locked(self) -> bool:
        """Five wrong codes lock the code: completion is then possible only without it."""
        return self.service_code_failures >= MAX_WRONG_CODES

    @property
    def service_code_attempts_left(self) -> int:
        """How many more wrong codes are forgiven before the code locks."""
        return max(0, MAX_WRONG_CODES - self.service_code_failures)

    def issue_service_code(self, code_hash: str, now: datetime, message_id: int) -> None:
        """The customer has been sent a (new) code (S302); any earlier code stops counting."""
        self.service_code_hash = code_hash
        self.service_code_failures = 0
        self.customer_notified_at = now
        holder = self.installer_id or (
            self.current_offer.installer_id if self.current_offer else None
        )
        self.events.append(
            CustomerNotified(**self._addressed(now, holder), channel="sms", message_id=message_id)
        )

    def check_service_code(self, typed: str, pepper: bytes) -> int | None:
        """Check the code the installer typed; None when it is the customer's code.

        A wrong code is counted and the attempts left are returned (typos are forgiven until
        the last); something that cannot be a code, or any code once locked, is refused.
        """
        code = normalize_service_code(typed)
        if code is None:
            raise InvalidInput(
                [
                    FieldError(
                        "service_code",
                        f"must be the customer's {CODE_DIGITS} digits",
                        "service_code_digits",
                        {"digits": CODE_DIGITS},
                    )
                ]
            )
        if self.service_code_locked:
            raise InvalidInput(
                [
                    FieldError(
                        "service_code",
                        f"is locked after {MAX_WRONG_CODES} wrong codes; complete without it "
                        "and a manager will call the customer",
                        "service_code_locked",
                        {"attempts": MAX_WRONG_CODES},
                    )
                ]
            )
        if self.service_code_hash is not None and service_code_matches(
            self.service_code_hash, code, pepper
        ):
            return None
        return self.record_wrong_service_code()

    def ensure_can_complete(self) -> None:
        """Raise IllegalTransition unless a completion could be taken now.

        Checked before the proof is even looked at, so a completion that cannot be taken
        costs nothing (no photo decoded, nothing written).
        """
        self._ensure_can_move_to(OrderStatus.COMPLETED)

    def record_wrong_service_code(self) -> int:
        """Count a wrong code on a job in progress; returns the attempts left."""
        self._ensure_can_move_to(OrderStatus.COMPLETED)
        if self.service_code_locked:
            raise IllegalTransition(
                f"service code of order {self.id}",
                "locked",
                "checked",
                "Complete without the code; the order is flagged for a manager's call.",
            )
        self.service_code_failures += 1
        return self.service_code_attempts_left

    def complete(self, now: datetime, proof: CompletionProof) -> str | None:
        """The installer sends photo, completion and (maybe) the code (S304).

        Without a confirmed code the completion is still stored but flagged ([0066]) so a
        manager phones the customer; returns the flag raised, if any.
        """
        self._move_to(OrderStatus.COMPLETED)
        self.completed_at = now
        self.photo_key = proof.photo_key
        self.photo_taken_at = proof.photo_taken_at
        self.completion_notes = proof.notes
        flag = None
        if not proof.code_confirmed:
            flag = SERVICE_CODE_MISMATCH if self.service_code_locked else MISSING_SERVICE_CODE
            self.flags.append(flag)
        where = self._addressed(now, self.installer_id)
        self.events.append(
            OrderCompleted(
                **where, status=self.status, flags=tuple(self.flags), has_photo=True, fee=self.fee
            )
        )
        if flag is not None:
            self.events.append(OrderFlagged(**where, flag=flag))
        self._keep(PromiseKind.COMPLETION, now)
        return flag

    def resolve_follow_up(self, now: datetime, outcome: str, note: str | None, by: str) -> None:
        """A manager has called the customer about a flagged completion."""
        if not self.needs_follow_up:
            raise IllegalTransition(
                f"order {self.id}",
                "not awaiting a follow-up" if not self.flags else "already followed up",
                "followed up",
                "Only a flagged completion needs a follow-up.",
            )
        self.follow_up = FollowUp(outcome, note, now, by)
        self.events.append(
            FollowUpResolved(**self._addressed(now), outcome=outcome, flags=tuple(self.flags))
        )

    def rate(self, rating: Rating) -> None:
        """The customer rates the finished job: once, and only once it is completed."""
        if self.status is not OrderStatus.COMPLETED:
            raise IllegalTransition(
                "this job",
                self.status.value,
                "rated",
                "A job can be rated once it is completed.",
            )
        if self.rating is not None:
            raise IllegalTransition("this job", "already rated", "rated", "A job is rated once.")
        self.rating = rating
        self.events.append(
            OrderRated(
                **self._addressed(rating.at, self.installer_id),
                stars=rating.stars,
                comment=rating.comment,
            )
        )

    def request_reschedule(
        self, reason: str, preferred_start: datetime | None, now: datetime
    ) -> None:
        """The customer asks to move the visit: possible while the job is not begun or over."""
        if self.status not in RESCHEDULABLE:
            raise IllegalTransition(
                "this job",
                self.status.value,
                "rescheduled",
                "A visit can be moved until the installation starts.",
            )
        self.events.append(
            RescheduleRequested(
                **self._addressed(now, self.installer_id),
                reason=reason,
                preferred_start=preferred_start,
            )
        )

    def cancel(self, now: datetime, reason: str) -> None:
        """Call the job off; an active offer is withdrawn and the installer's app told."""
        self._ensure_can_move_to(OrderStatus.CANCELLED)
        self.withdraw_offer(now, "order cancelled")
        self._move_to(OrderStatus.CANCELLED)
        self.cancelled_at = now
        self.cancel_reason = reason
        self.suspension = None
        for promise in self.open_promises:
            promise.end(now)
        self.events.append(
            OrderCancelled(
                **self._addressed(now, self.installer_id), status=self.status, reason=reason
            )
        )

    def _promise(
        self, kind: PromiseKind, policy: Policy, since: datetime, restart: bool = False
    ) -> None:
        """Start watching a promise of the installer holding the job."""
        existing = self.promises.get(kind)
        if existing is not None and existing.is_open and not restart:
            return
        assert self.installer_id is not None, "only a held job carries promises"
        self.promises[kind] = Promise.start(
            kind, self.installer_id, policy.promise_ladder(kind), since
        )

    def _keep(self, kind: PromiseKind, now: datetime) -> None:
        promise = self.promises.get(kind)
        if promise is not None and promise.keep(now):
            self.events.append(PromiseKept(**self._addressed(now, promise.installer_id), kind=kind))

    def _release(self, kind: ReleaseKind, reason: str, now: datetime, by: str) -> str:
        holder = self.installer_id
        assert holder is not None
        self._move_to(OrderStatus.PENDING)
        self.releases.append(Release(holder, kind, reason, now, by))
        self.installer_id = None
        self.accepted_at = None
        self.started_at = None
        self.on_the_way_at = None
        self.suspension = None
        for promise in self.open_promises:
            promise.end(now)
        return holder

    def _active_offer(self, offer_id: str, wanted: OfferStatus) -> Offer:
        offer = self.offer(offer_id)
        if offer is None:
            raise IllegalTransition(f"offer {offer_id}", "unknown", wanted.value)
        if not offer.is_active:
            raise IllegalTransition(
                f"offer {offer_id}",
                offer.status.value,
                wanted.value,
                "The offer is no longer active; refresh your offers.",
            )
        return offer

    def _ensure_can_move_to(self, wanted: OrderStatus) -> None:
        if wanted not in ORDER_TRANSITIONS[self.status]:
            raise IllegalTransition(f"order {self.id}", self.status.value, wanted.value)

    def _move_to(self, wanted: OrderStatus) -> None:
        self._ensure_can_move_to(wanted)
        self.status = wanted

    def _addressed(self, now: datetime, installer_id: str | None = None) -> Addressed:
        return {
            "order_id": self.id,
            "at": now,
            "zone_id": self.zone_id,
            "installer_id": installer_id,
        }


def ladder_step_event(offer: Offer, taken: StepTaken, zone_id: str | None) -> LadderStepTaken:
    """The event of a rung that just ran on an offer: a reminder, a penalty or the revoke.

    Shared by the order (one rung at a time) and the engine's batch of rungs, which changes
    offers without loading their orders.
    """
    where: Addressed = {
        "order_id": offer.order_id,
        "at": taken.at,
        "zone_id": zone_id,
        "installer_id": offer.installer_id,
    }
    facts = _facts(offer)
    if taken.action is StepAction.REVOKE:
        return OfferRevoked(**where, offer=facts, step=taken.index, action=taken.action)
    if taken.action is StepAction.PENALIZE:
        return OfferPenalized(
            **where, offer=facts, step=taken.index, action=taken.action, amount=taken.step.amount
        )
    return OfferReminded(**where, offer=facts, step=taken.index, action=taken.action)


def promise_step_event(
    order_id: str, zone_id: str | None, promise: Promise, taken: PromiseStepTaken
) -> PromiseStepRan:
    """The event of a promise's step: a reminder, a penalty or a breach (alert or reassign).

    Shared by the order and the engine's batch of steps, which changes promises without
    loading their orders.
    """
    where: Addressed = {
        "order_id": order_id,
        "at": taken.at,
        "zone_id": zone_id,
        "installer_id": promise.installer_id,
    }
    kind, index, action = taken.kind, taken.index, taken.action
    if action is PromiseAction.REMIND:
        return PromiseReminded(**where, kind=kind, step=index, action=action)
    if action is PromiseAction.PENALIZE:
        return PromisePenalized(
            **where, kind=kind, step=index, action=action, amount=taken.step.amount
        )
    return PromiseBreached(**where, kind=kind, step=index, action=action)


def _facts(offer: Offer) -> OfferFacts:
    return OfferFacts(offer.id, offer.status, offer.attempt, offer.sent_at, offer.next_step_at)
