"""Alerting: putting an item in the console's inbox, and closing it when its cause is settled.

Every alert is announced on the event stream in the same transaction, so the console hears
of it the moment it is committed.
"""

from __future__ import annotations

from dispatchd.domain.alerts import Alert, AlertType
from dispatchd.domain.events import AlertRaised
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
    uow.alerts.settle(order.id, SETTLED_BY_AN_OFFER, ctx.actor.user_id, ctx.now)
