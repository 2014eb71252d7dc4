"""Alerts: a manager acknowledges what they have dealt with, one alert or many at once."""

from __future__ import annotations

from dispatchd.domain.alerts import Alert
from dispatchd.service.alerting import acknowledge_alerts
from dispatchd.service.commands import AcknowledgeAlert, AcknowledgeAlerts
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork


def acknowledge_alert(cmd: AcknowledgeAlert, uow: UnitOfWork, ctx: Context) -> Alert:
    """Close an alert in the console's inbox (acknowledging twice is harmless)."""
    return _acknowledge(uow, ctx, (cmd.alert_id,))[0]


def acknowledge_many(cmd: AcknowledgeAlerts, uow: UnitOfWork, ctx: Context) -> list[Alert]:
    """Close a dispatcher's selection in one go: all of it, or (one id unknown or not theirs
    to see) none of it, so the inbox never ends half cleared."""
    return _acknowledge(uow, ctx, cmd.alert_ids)


def _acknowledge(uow: UnitOfWork, ctx: Context, alert_ids: tuple[str, ...]) -> list[Alert]:
    """The alerts, in the order asked for, as they stand once acknowledged."""
    found = uow.alerts.get_many(alert_ids)
    for alert_id in alert_ids:
        alert = found.get(alert_id)
        if alert is None or not ctx.actor.sees_zone(alert.zone_id):
            raise NotFound("alert", alert_id)
    closed = {alert.id: alert for alert in acknowledge_alerts(uow, alert_ids, ctx)}
    return [closed.get(alert_id, found[alert_id]) for alert_id in alert_ids]
