"""Alerts: a manager acknowledges what they have dealt with."""

from __future__ import annotations

from dispatchd.domain.alerts import Alert
from dispatchd.service.commands import AcknowledgeAlert
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork


def acknowledge_alert(cmd: AcknowledgeAlert, uow: UnitOfWork, ctx: Context) -> Alert:
    """Close an alert in the console's inbox (acknowledging twice is harmless)."""
    alert = uow.alerts.get(cmd.alert_id)
    if alert is None or not ctx.actor.sees_zone(alert.zone_id):
        raise NotFound("alert", cmd.alert_id)
    uow.alerts.acknowledge(alert.id, ctx.actor.user_id, ctx.now)
    acknowledged = uow.alerts.get(alert.id)
    assert acknowledged is not None
    return acknowledged
