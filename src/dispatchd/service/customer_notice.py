"""Telling the customer who is coming (S302): installer's name and phone, and a service code.

The code is drawn here, hashed onto the order, and sealed into the outbox message with the
deployment key; it exists in clear only in this function and, later, in the SMS itself.
"""

from __future__ import annotations

from dispatchd.domain.messages import Channel
from dispatchd.domain.orders import Order
from dispatchd.domain.service_code import hash_service_code, new_service_code
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork


def tracking_url(ctx: Context, order: Order) -> str:
    """The customer's link to the order's tracking page."""
    return f"{ctx.settings.resolved_public_url()}/t/{order.tracking_token}"


def tell_customer_who_is_coming(
    uow: UnitOfWork, order: Order, installer_id: str, ctx: Context
) -> None:
    """Queue the customer's SMS with a fresh service code, in the caller's transaction."""
    installer = uow.installers.get(installer_id)
    if installer is None:
        raise NotFound("installer", installer_id)
    code = new_service_code()
    message_id = uow.outbox.enqueue(
        Channel.SMS,
        order.customer.phone,
        {
            "template": "installer_coming",
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
