"""The outbox relay's bookkeeping: leasing due messages, recording deliveries and failures.

The relay sends with no transaction open (a slow gateway must not hold the database); what it
learns is written through these commands, and a message given up on raises an alert.
"""

from __future__ import annotations

from datetime import timedelta

from dispatchd.domain.alerts import AlertType
from dispatchd.domain.messages import Channel, OutgoingMessage
from dispatchd.service.alerting import raise_alert
from dispatchd.service.commands import LeaseDueMessages, RecordDelivery, RecordDeliveryFailure
from dispatchd.service.context import Context
from dispatchd.service.unit_of_work import UnitOfWork


def lease_due_messages(
    cmd: LeaseDueMessages, uow: UnitOfWork, ctx: Context
) -> list[OutgoingMessage]:
    """Due messages, oldest first, each leased (its attempt counted) for delivery."""
    until = ctx.now + timedelta(seconds=cmd.lease_s)
    return [uow.outbox.lease(message, until) for message in uow.outbox.due(ctx.now, cmd.limit)]


def record_delivery(cmd: RecordDelivery, uow: UnitOfWork, ctx: Context) -> None:
    """The message is sent; a sealed service code in it is erased."""
    uow.outbox.mark_sent(cmd.message, ctx.now)


def record_delivery_failure(cmd: RecordDeliveryFailure, uow: UnitOfWork, ctx: Context) -> None:
    """Retry later, or dead-letter the message and alert a manager about a customer's SMS."""
    message = cmd.message
    uow.outbox.mark_failed(message, cmd.error, cmd.retry_at)
    if cmd.retry_at is not None or message.channel is not Channel.SMS:
        return
    order = uow.orders.get(message.order_id) if message.order_id else None
    if order is None:
        return
    detail = f"SMS to the customer failed {message.attempts} times ({cmd.error[:200]})"
    raise_alert(uow, AlertType.MESSAGE_UNDELIVERED, order, ctx, detail=detail)
