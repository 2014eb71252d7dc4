"""Alerting: putting an item in the console's inbox, and closing it when its cause is settled.

Every alert raised and every alert closed (acknowledged, or settled by itself) is announced
on the event stream in the same transaction, so an open console hears of it the moment it is
committed and never shows an item the server has already closed.
"""

from __future__ import annotations

from collections.abc import Iterable

from dispatchd.domain.alerts import Alert, AlertClosure, AlertType
from dispatchd.domain.events import AlertClosed, AlertRaised
from dispatchd.domain.ids import new_id
from dispatchd.domain.offers import Offer
from dispatchd.domain.orders import Order
from dispatchd.service.context import Context
from dispatchd.service.unit_of_work import UnitOfWork


def raise_alert(
    uow: UnitOfWork,
    alert_type: AlertType,
    order: Order,
    ctx: Context,
    offer: Offer | None = None,
    detail: str | None = None,
) -> Alert:
    """Put an item about an order (and its offer) in the console's inbox."""
    return raise_alert_about(
        uow,
        alert_type,
        order.id,
        order.zone_id,
        ctx,
        offer_id=offer.id if offer else None,
        installer_id=offer.installer_id if offer else None,
        detail=detail,
    )


def raise_alert_about(
    uow: UnitOfWork,
    alert_type: AlertType,
    order_id: str,
    zone_id: str | None,
    ctx: Context,
    offer_id: str | None = None,
    installer_id: str | None = None,
    detail: str | None = None,
) -> Alert:
    """Put an item in the console's inbox and announce it on the event stream.

    Managers of the order's zone see it; ``installer_id`` names the installer it is about.
    """
    alert = Alert(
        id=new_id("alr"),
        type=alert_type,
        order_id=order_id,
        at=ctx.now,
        zone_id=zone_id,
        offer_id=offer_id,
        installer_id=installer_id,
        detail=detail,
    )
    uow.alerts.add(alert)
    uow.events.append(
        [
            AlertRaised(
                order_id=order_id,
                at=ctx.now,
                zone_id=zone_id,
                alert_id=alert.id,
                type=alert_type,
                offer_id=offer_id,
                alerted_about=installer_id,
                detail=detail,
            )
        ]
    )
    return alert


SETTLED_BY_AN_OFFER = (
    AlertType.NEEDS_DISPATCHER,
    AlertType.NO_ELIGIBLE_INSTALLER,
    AlertType.OFFER_REVOKED,
    AlertType.JOB_HANDED_BACK,
)


def settle_dispatch_alerts(uow: UnitOfWork, order: Order, ctx: Context) -> None:
    """The order is on offer again: "who takes this?" and "it was revoked" need nobody now."""
    settle_alerts(uow, order.id, SETTLED_BY_AN_OFFER, ctx)


def settle_alerts(
    uow: UnitOfWork,
    order_id: str,
    alert_types: Iterable[AlertType],
    ctx: Context,
    detail: str | None = None,
) -> list[Alert]:
    """Close the order's open alerts of these types (their cause is settled) and say so."""
    closed = uow.alerts.settle(order_id, alert_types, ctx.actor.user_id, ctx.now, detail)
    announce_closed(uow, closed, AlertClosure.SETTLED, ctx)
    return closed


def acknowledge_alerts(uow: UnitOfWork, alert_ids: Iterable[str], ctx: Context) -> list[Alert]:
    """A manager dealt with these alerts: close the open ones and say so (others stay as they
    were, which makes acknowledging twice harmless)."""
    closed = uow.alerts.acknowledge(alert_ids, ctx.actor.user_id, ctx.now)
    announce_closed(uow, closed, AlertClosure.ACKNOWLEDGED, ctx)
    return closed


def announce_closed(
    uow: UnitOfWork, alerts: Iterable[Alert], reason: AlertClosure, ctx: Context
) -> None:
    """One ``alert.closed`` per alert, addressed to the zone its ``alert.raised`` went to."""
    uow.events.append(
        [
            AlertClosed(
                order_id=alert.order_id,
                at=ctx.now,
                zone_id=alert.zone_id,
                alert_id=alert.id,
                type=alert.type,
                reason=reason,
            )
            for alert in alerts
        ]
    )
