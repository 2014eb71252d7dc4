"""Telling the customer what they need to know, as an SMS through the outbox.

Who is coming (S302): the installer's name and phone, and a service code. The code is drawn
here, hashed onto the order, and sealed into the outbox message with the deployment key; it
exists in clear only in this function and, later, in the SMS itself. When the arrival window
is agreed or moved: the window, in the deployment's time zone.
"""

from __future__ import annotations

from dispatchd.domain.messages import Channel
from dispatchd.domain.orders import Order
from dispatchd.domain.service_code import hash_service_code, new_service_code
from dispatchd.notify.templates import (
    APPOINTMENT_MOVED,
    APPOINTMENT_SET,
    INSTALLER_CHANGED,
    INSTALLER_COMING,
    format_window,
)
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork


def tracking_url(ctx: Context, order: Order) -> str:
    """The customer's link to the order's tracking page."""
    return f"{ctx.settings.resolved_public_url()}/t/{order.tracking_token}"


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
                "values": {
                    "product": order.product,
                    "installer_name": installer.name,
                    "installer_phone": installer.phone,
                    "tracking_url": tracking_url(ctx, order),
                },
            },
            order.id,
            ctx.now,
        )
        return
    code = new_service_code()
    message_id = uow.outbox.enqueue(
        Channel.SMS,
        order.customer.phone,
        {
            "template": INSTALLER_COMING,
            "locale": ctx.settings.locale,
            "values": {
                "product": order.product,
                "installer_name": installer.name,
                "installer_phone": installer.phone,
                "tracking_url": tracking_url(ctx, order),
            },
            "sealed": ctx.key.seal(code),
        },
        order.id,
        ctx.now,
    )
    order.issue_service_code(
        hash_service_code(code, ctx.key.service_code_pepper), ctx.now, message_id
    )
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
    uow.outbox.enqueue(
        Channel.SMS,
        order.customer.phone,
        {
            "template": template,
            "locale": locale,
            "values": {
                "product": order.product,
                "installer_name": installer.name if installer else "",
                "window": format_window(
                    appointment.window_start, appointment.window_end, ctx.settings.zone, locale
                ),
                "reason": reason or "",
                "tracking_url": tracking_url(ctx, order),
            },
        },
        order.id,
        ctx.now,
    )
