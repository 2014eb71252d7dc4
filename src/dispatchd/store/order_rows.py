"""The order aggregate as rows: what each field is stored as, and how it comes back.

An order is one ``orders`` row (its appointment in columns of its own, its suspension and the
installers it was released from as JSON), one ``offers`` row per offer and one ``promises``
row per promise kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import RowMapping

from dispatchd.domain.appointments import Appointment
from dispatchd.domain.escalation import Ladder
from dispatchd.domain.geo import Point
from dispatchd.domain.holds import Release, ReleaseKind, SuspendReason, Suspension
from dispatchd.domain.offers import Offer, OfferStatus
from dispatchd.domain.orders import Customer, FollowUp, Order, OrderStatus
from dispatchd.domain.promises import Promise, PromiseKind, PromiseLadder
from dispatchd.domain.ratings import Rating
from dispatchd.domain.timefmt import parse_rfc3339, rfc3339
from dispatchd.wire.policy import (
    ladder_from_json,
    ladder_json,
    promise_ladder_from_json,
    promise_ladder_json,
)

#: A row of one of these tables, column name → value: read from the driver, or through Core.
Row = Mapping[str, Any] | RowMapping


def order_from_row(row: Row, offers: list[Offer], promises: Iterable[Promise] = ()) -> Order:
    """The order aggregate from its row, its offers (oldest first) and its promises."""
    return Order(
        id=row["id"],
        zone_id=row["zone_id"],
        customer=Customer(row["customer_name"], row["customer_phone"]),
        address=row["address"],
        location=Point(row["lat"], row["lon"]),
        product=row["product"],
        created_at=row["created_at"],
        tracking_token=row["tracking_token"],
        skills=tuple(row["skills"]),
        notes=row["notes"],
        external_ref=row["external_ref"],
        status=OrderStatus(row["status"]),
        installer_id=row["installer_id"],
        offers=offers,
        awaiting_dispatcher=bool(row["awaiting_dispatcher"]),
        flags=list(row["flags"]),
        follow_up=_follow_up_from_json(row["follow_up"]),
        accepted_at=row["accepted_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        cancelled_at=row["cancelled_at"],
        cancel_reason=row["cancel_reason"],
        service_code_hash=row["service_code_hash"],
        service_code_failures=row["service_code_failures"],
        customer_notified_at=row["customer_notified_at"],
        photo_key=row["photo_key"],
        photo_taken_at=row["photo_taken_at"],
        completion_notes=row["completion_notes"],
        fee=row["fee"],
        appointment=_appointment_from_row(row),
        on_the_way_at=row["on_the_way_at"],
        suspension=_suspension_from_json(row["suspension"]),
        releases=[_release_from_json(item) for item in row["releases"] or []],
        promises={promise.kind: promise for promise in promises},
        rating=_rating_from_row(row),
    )


def order_row(order: Order) -> dict[str, Any]:
    """The ``orders`` row of the aggregate (offers and promises have rows of their own)."""
    appointment = order.appointment
    return {
        "id": order.id,
        "status": order.status.value,
        "zone_id": order.zone_id,
        "customer_name": order.customer.name,
        "customer_phone": order.customer.phone,
        "address": order.address,
        "lat": order.location.lat,
        "lon": order.location.lon,
        "product": order.product,
        "skills": list(order.skills),
        "notes": order.notes,
        "external_ref": order.external_ref,
        "installer_id": order.installer_id,
        "awaiting_dispatcher": order.awaiting_dispatcher,
        "flags": list(order.flags),
        "follow_up": _follow_up_json(order.follow_up),
        "needs_follow_up": order.needs_follow_up,
        "tracking_token": order.tracking_token,
        "created_at": order.created_at,
        "accepted_at": order.accepted_at,
        "started_at": order.started_at,
        "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason,
        "service_code_hash": order.service_code_hash,
        "service_code_failures": order.service_code_failures,
        "customer_notified_at": order.customer_notified_at,
        "photo_key": order.photo_key,
        "photo_taken_at": order.photo_taken_at,
        "completion_notes": order.completion_notes,
        "fee": order.fee,
        "appointment_start": appointment.window_start if appointment else None,
        "appointment_end": appointment.window_end if appointment else None,
        "appointment_set_at": appointment.set_at if appointment else None,
        "appointment_moves": appointment.moves if appointment else 0,
        "on_the_way_at": order.on_the_way_at,
        "suspension": _suspension_json(order.suspension),
        "releases": [_release_json(release) for release in order.releases],
        "rating_stars": order.rating.stars if order.rating else None,
        "rating_comment": order.rating.comment if order.rating else None,
        "rated_at": order.rating.at if order.rating else None,
    }


def _rating_from_row(row: Row) -> Rating | None:
    if row["rating_stars"] is None:
        return None
    return Rating(row["rating_stars"], row["rating_comment"], row["rated_at"])


def _follow_up_json(follow_up: FollowUp | None) -> dict[str, Any] | None:
    if follow_up is None:
        return None
    return {
        "outcome": follow_up.outcome,
        "note": follow_up.note,
        "at": rfc3339(follow_up.at),
        "by": follow_up.by,
    }


def _follow_up_from_json(stored: dict[str, Any] | None) -> FollowUp | None:
    if stored is None:
        return None
    return FollowUp(
        stored["outcome"], stored.get("note"), parse_rfc3339(stored["at"]), stored["by"]
    )


def offer_row(offer: Offer) -> dict[str, Any]:
    """An ``offers`` row; the ladder is the offer's own copy."""
    return {
        "id": offer.id,
        "order_id": offer.order_id,
        "installer_id": offer.installer_id,
        "status": offer.status.value,
        "attempt": offer.attempt,
        "ladder": ladder_json(offer.ladder),
        "policy_version": offer.policy_version,
        "next_step": offer.next_step,
        "next_step_at": offer.next_step_at,
        "sent_at": offer.sent_at,
        "last_step_at": offer.last_step_at,
        "ended_at": offer.ended_at,
        "end_reason": offer.end_reason,
    }


@lru_cache(maxsize=1024)
def _stored_ladder(steps: tuple[tuple[int, str, int], ...]) -> Ladder:
    """Offers share a handful of ladders: each is parsed and validated once per process."""
    return ladder_from_json(
        [
            {"after_s": after_s, "action": action, "amount": amount}
            for after_s, action, amount in steps
        ]
    )


def offer_from_row(row: Row) -> Offer:
    """An offer from its row."""
    return Offer(
        id=row["id"],
        order_id=row["order_id"],
        installer_id=row["installer_id"],
        attempt=row["attempt"],
        ladder=_stored_ladder(
            tuple((s["after_s"], s["action"], s.get("amount", 0)) for s in row["ladder"])
        ),
        sent_at=row["sent_at"],
        status=OfferStatus(row["status"]),
        next_step=row["next_step"],
        next_step_at=row["next_step_at"],
        last_step_at=row["last_step_at"],
        ended_at=row["ended_at"],
        end_reason=row["end_reason"],
        policy_version=row["policy_version"],
    )


def promise_row(order_id: str, promise: Promise) -> dict[str, Any]:
    """A ``promises`` row: one per (order, kind); a new promise of a kind replaces the old."""
    return {
        "order_id": order_id,
        "kind": promise.kind.value,
        "installer_id": promise.installer_id,
        "ladder": promise_ladder_json(promise.ladder),
        "since": promise.since,
        "steps_taken": promise.steps_taken,
        "next_step_at": promise.next_step_at,
        "last_step_at": promise.last_step_at,
        "kept_at": promise.kept_at,
        "ended_at": promise.ended_at,
        "paused_at": promise.paused_at,
        "time_left_us": (
            None if promise.time_left is None else promise.time_left // timedelta(microseconds=1)
        ),
    }


def promise_from_row(row: Row) -> Promise:
    """A promise from its row (times already decoded)."""
    return Promise(
        kind=PromiseKind(row["kind"]),
        installer_id=row["installer_id"],
        ladder=stored_promise_ladder(_ladder_key(row["ladder"])),
        since=row["since"],
        steps_taken=row["steps_taken"],
        next_step_at=row["next_step_at"],
        last_step_at=row["last_step_at"],
        kept_at=row["kept_at"],
        ended_at=row["ended_at"],
        paused_at=row["paused_at"],
        time_left=(
            None if row["time_left_us"] is None else timedelta(microseconds=row["time_left_us"])
        ),
    )


def _ladder_key(steps: list[dict[str, Any]]) -> tuple[tuple[int, str, int], ...]:
    return tuple((s["after_s"], s["action"], s.get("amount", 0)) for s in steps)


@lru_cache(maxsize=256)
def stored_promise_ladder(steps: tuple[tuple[int, str, int], ...]) -> PromiseLadder:
    """Promises share a handful of ladders: each is parsed and validated once per process."""
    return promise_ladder_from_json(
        [{"after_s": a, "action": b, "amount": c} for a, b, c in steps], "ladder"
    )


def _appointment_from_row(row: Row) -> Appointment | None:
    if row["appointment_start"] is None:
        return None
    return Appointment(
        row["appointment_start"],
        row["appointment_end"],
        row["appointment_set_at"],
        row["appointment_moves"],
    )


def _suspension_json(suspension: Suspension | None) -> dict[str, Any] | None:
    if suspension is None:
        return None
    return {
        "reason": suspension.reason.value,
        "note": suspension.note,
        "since": rfc3339(suspension.since),
        "until": None if suspension.until is None else rfc3339(suspension.until),
        "from_status": suspension.from_status,
    }


def _suspension_from_json(stored: dict[str, Any] | None) -> Suspension | None:
    if stored is None:
        return None
    until = stored.get("until")
    return Suspension(
        SuspendReason(stored["reason"]),
        stored.get("note"),
        parse_rfc3339(stored["since"]),
        None if until is None else parse_rfc3339(until),
        stored["from_status"],
    )


def _release_json(release: Release) -> dict[str, Any]:
    return {
        "installer_id": release.installer_id,
        "kind": release.kind.value,
        "reason": release.reason,
        "at": rfc3339(release.at),
        "by": release.by,
    }


def _release_from_json(stored: dict[str, Any]) -> Release:
    return Release(
        stored["installer_id"],
        ReleaseKind(stored["kind"]),
        stored["reason"],
        parse_rfc3339(stored["at"]),
        stored["by"],
    )
