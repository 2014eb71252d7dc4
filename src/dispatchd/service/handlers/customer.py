"""What the customer does through their tracking link: rate the finished job, ask to move
the visit.

The link's token is the only credential, so an unknown token is simply "no such order" (a
404 that says nothing of whether some other order exists). A low rating asks a manager to
call the customer back; a reschedule request reaches the installer's phone and the managers,
and the window being moved answers it (``reactions.settle_reschedule_requests``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatchd.domain.alerts import AlertType
from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.orders import Order
from dispatchd.domain.ratings import new_rating
from dispatchd.domain.timefmt import rfc3339
from dispatchd.service.alerting import raise_alert_about
from dispatchd.service.commands import RateOrder, RequestReschedule
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork

MAX_REASON = 500
FURTHEST_PREFERENCE = timedelta(days=180)
RATING_DETAIL = "rating"


def rate_order(cmd: RateOrder, uow: UnitOfWork, ctx: Context) -> Order:
    """Store the customer's rating once the job is done; one or two stars ask for a call."""
    rating = new_rating(cmd.stars, cmd.comment, ctx.now)
    order = tracked_order(uow, cmd.token)
    order.rate(rating)
    uow.orders.save(order)
    if rating.needs_follow_up:
        raise_alert_about(
            uow,
            AlertType.FOLLOW_UP_REQUIRED,
            order.id,
            order.zone_id,
            ctx,
            installer_id=order.installer_id,
            detail=rating.comment or RATING_DETAIL,
        )
    return order


def request_reschedule(cmd: RequestReschedule, uow: UnitOfWork, ctx: Context) -> Order:
    """Pass the customer's wish to move the visit to the installer's phone and the managers."""
    reason = _checked_request(cmd.reason, cmd.preferred_start, ctx.now)
    order = tracked_order(uow, cmd.token)
    order.request_reschedule(reason, cmd.preferred_start, ctx.now)
    uow.orders.save(order)
    wish = f" (prefers {rfc3339(cmd.preferred_start)})" if cmd.preferred_start else ""
    raise_alert_about(
        uow,
        AlertType.RESCHEDULE_REQUESTED,
        order.id,
        order.zone_id,
        ctx,
        installer_id=order.installer_id,
        detail=reason + wish,
    )
    return order


def tracked_order(uow: UnitOfWork, token: str) -> Order:
    """The order behind a tracking token, locked; 404 for a token no order has."""
    order = uow.orders.get_by_tracking_token(token) if token else None
    if order is None:
        raise NotFound("tracking link", "")
    return order


def _checked_request(reason: str, preferred_start: datetime | None, now: datetime) -> str:
    errors = []
    text = reason.strip()
    if not text:
        errors.append(
            FieldError("reason", "say why the visit should move", "reschedule_reason_required")
        )
    elif len(text) > MAX_REASON:
        errors.append(
            FieldError(
                "reason",
                f"shorten the reason to at most {MAX_REASON} characters",
                "string_too_long",
                {"max_length": MAX_REASON},
            )
        )
    if preferred_start is not None:
        if preferred_start.tzinfo is None:
            errors.append(
                FieldError(
                    "preferred_start", "give the time with its zone offset", "time_zone_missing"
                )
            )
        elif preferred_start <= now:
            errors.append(
                FieldError("preferred_start", "choose a time in the future", "time_in_past")
            )
        elif preferred_start > now + FURTHEST_PREFERENCE:
            errors.append(
                FieldError(
                    "preferred_start",
                    f"choose a time within the next {FURTHEST_PREFERENCE.days} days",
                    "time_too_far",
                    {"days": FURTHEST_PREFERENCE.days},
                )
            )
    if errors:
        raise InvalidInput(errors)
    return text
