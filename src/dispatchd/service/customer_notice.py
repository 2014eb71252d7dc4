"""Telling the customer what they need to know, as an SMS through the outbox.

Who is coming (S302): the installer's name and phone, and a service code. The code is drawn
here, hashed onto the order, and sealed into the outbox message with the deployment key; it
exists in clear only in this function and, later, in the SMS itself. When the arrival window
is agreed or moved: the window, in the deployment's time zone. When the installer sets off:
the link to see how far they are. When the job is done: the link to rate it.

The phone the customer is given is the installer's, or the office's when the deployment says
so (``DISPATCHD_CUSTOMER_PHONE_MODE``). A stage's message still waiting when the same stage
comes again is superseded, so the customer reads only the latest.
"""

from __future__ import annotations

from typing import Any

from dispatchd.domain.installers import Installer
from dispatchd.domain.messages import Channel
from dispatchd.domain.orders import Order
from dispatchd.notify.templates import (
    APPOINTMENT_MOVED,
    APPOINTMENT_SET,
    INSTALLER_CHANGED,
    INSTALLER_COMING,
    JOB_COMPLETED,
    ON_THE_WAY,
    format_window,
)
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork

RATING_ANCHOR = "#rate"


def tracking_url(ctx: Context, order: Order) -> str:
    """The customer's link to the order's tracking page."""
    return f"{ctx.settings.resolved_public_url()}/t/{order.tracking_token}"


def rating_url(ctx: Context, order: Order) -> str:
    """The tracking page opened at its rating form."""
    return tracking_url(ctx, order) + RATING_ANCHOR


def who_values(ctx: Context, order: Order, installer: Installer | None) -> dict[str, str]:
    """The values every customer message may use: the product, who comes, whom to call."""
    return {
        "product": order.product,
        "installer_name": installer.name if installer else "",
        "installer_phone": (
            ctx.settings.customer_facing_phone(installer.phone) if installer else ""
        ),
        "tracking_url": tracking_url(ctx, order),
    }


def _queue(
    uow: UnitOfWork, order: Order, ctx: Context, template: str, values: dict[str, str]
) -> int:
    payload: dict[str, Any] = {
        "template": template,
        "locale": ctx.settings.locale,
        "values": values,
    }
    return uow.outbox.enqueue(Channel.SMS, order.customer.phone, payload, order.id, ctx.now)


def tell_customer_on_the_way(uow: UnitOfWork, order: Order, ctx: Context) -> None:
    """The installer has set off: who is coming and the link that shows how far they are."""
    installer = uow.installers.get(order.installer_id) if order.installer_id else None
    uow.outbox.supersede(order.id, (ON_THE_WAY,))
    _queue(uow, order, ctx, ON_THE_WAY, who_values(ctx, order, installer))


def tell_customer_job_done(uow: UnitOfWork, order: Order, ctx: Context) -> None:
    """The job is completed: thanks, and the link to rate it."""
    installer = uow.installers.get(order.installer_id) if order.installer_id else None
    values = {**who_values(ctx, order, installer), "rating_url": rating_url(ctx, order)}
    uow.outbox.supersede(order.id, (ON_THE_WAY,))
    _queue(uow, order, ctx, JOB_COMPLETED, values)


def tell_customer_who_is_coming(
    uow: UnitOfWork, order: Order, installer_id: str, ctx: Context
) -> None:
    """Queue the customer's SMS with the installer and, the first time, a service code.

    A job that changes hands keeps the code the customer already holds (it is stored only as
    a hash, and one code per job is what the customer can keep track of): the new message
    names the new installer and says the code stays the same.
    """
    installer = uow.installers.get(installer_id)
    if installer is None:
        raise NotFound("installer", installer_id)
    if order.service_code_hash is not None:
        uow.outbox.enqueue(
            Channel.SMS,
            order.customer.phone,
            {
                "template": INSTALLER_CHANGED,
                "locale": ctx.settings.locale,
                "values": who_values(ctx, order, installer),
            },
            order.id,
            ctx.now,
        )
        return
    prepared = ctx.service_codes.take()
    message_id = uow.outbox.enqueue(
        Channel.SMS,
        order.customer.phone,
        {
            "template": INSTALLER_COMING,
            "locale": ctx.settings.locale,
            "values": who_values(ctx, order, installer),
            "sealed": prepared.sealed,
        },
        order.id,
        ctx.now,
    )
    order.issue_service_code(prepared.stored_hash, ctx.now, message_id)
    uow.orders.save(order)


def tell_customer_the_window(
    uow: UnitOfWork, order: Order, ctx: Context, reason: str | None
) -> None:
    """Queue the window's SMS (agreed, or moved with its reason); an unsent older one is
    superseded, so the customer reads only the latest window."""
    appointment = order.appointment
    assert appointment is not None
    installer = uow.installers.get(order.installer_id) if order.installer_id else None
    locale = ctx.settings.locale
    template = APPOINTMENT_SET if reason is None else APPOINTMENT_MOVED
    uow.outbox.supersede(order.id, (APPOINTMENT_SET, APPOINTMENT_MOVED))
    window = format_window(
        appointment.window_start, appointment.window_end, ctx.settings.zone, locale
    )
    values = {**who_values(ctx, order, installer), "window": window, "reason": reason or ""}
    _queue(uow, order, ctx, template, values)
