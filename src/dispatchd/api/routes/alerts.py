"""The console's inbox: revoked offers, orders waiting for a manager, follow-up calls.

Alerts are acknowledged one by one or as a selection (``POST /alerts/ack``), the latter in
one transaction: all of the selection or, if one id is not the caller's to see, none of it.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from dispatchd.api.deps import ConsoleActor, DispatcherDep, Idempotency
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.rendering import respond, with_view
from dispatchd.api.requests import AcknowledgeAlertsRequest
from dispatchd.api.responses import AlertList, AlertOut, alert_view
from dispatchd.domain.alerts import Alert
from dispatchd.service.commands import AcknowledgeAlert, AcknowledgeAlerts
from dispatchd.service.unit_of_work import UnitOfWork

router = APIRouter(tags=["alerts"])

AlertTypeName = Literal[
    "offer_revoked",
    "needs_dispatcher",
    "no_eligible_installer",
    "follow_up_required",
    "promise_breached",
    "job_handed_back",
    "reschedule_requested",
    "message_undelivered",
]


@router.get("/alerts", response_model=AlertList)
def list_alerts(
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    open: bool = True,
    type: AlertTypeName | None = None,
    limit: int = Query(default=200, ge=1, le=500),
) -> JSONResponse:
    """Alerts newest first; by default only those not yet acknowledged."""
    with dispatcher.reading() as conn:
        alerts = UnitOfWork(conn).alerts.find(open, type, actor.zone_ids, limit)
    return JSONResponse(AlertList(items=[alert_view(alert) for alert in alerts]))


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut)
def acknowledge_alert(
    alert_id: str, actor: ConsoleActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Mark an alert as dealt with."""
    command = AcknowledgeAlert(alert_id)
    return respond(dispatcher.execute_rendered(command, actor, with_view(alert_view), idem))


@router.post("/alerts/ack", response_model=AlertList)
def acknowledge_alerts(
    body: AcknowledgeAlertsRequest,
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Mark a selection of alerts as dealt with, answered in the order they were named."""
    command = AcknowledgeAlerts(tuple(body.ids))
    return respond(dispatcher.execute_rendered(command, actor, with_view(_alert_list), idem))


def _alert_list(alerts: list[Alert]) -> AlertList:
    return AlertList(items=[alert_view(alert) for alert in alerts])
