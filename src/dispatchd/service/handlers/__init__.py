"""Command handlers, one module per part of the dispatcher's work, and the command registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dispatchd.service import commands as c
from dispatchd.service.handlers import (
    accounts,
    after_acceptance,
    alerts,
    attempts,
    customer,
    deadlines,
    deployment,
    installers,
    jobs,
    ledger,
    message_templates,
    offers,
    orders,
    outbox,
    policy,
    push,
    zones,
)

Handler = Callable[[Any, Any, Any], Any]

HANDLERS: dict[type[c.Command], Handler] = {
    c.CreateUser: accounts.create_user,
    c.LimitUserZones: accounts.limit_user_zones,
    c.LogIn: accounts.log_in,
    c.LogOut: accounts.log_out,
    c.CountAttempt: attempts.count_attempt,
    c.GiveBackAttempt: attempts.give_back_attempt,
    c.CreateZone: zones.create_zone,
    c.UpdateZone: zones.update_zone,
    c.DeleteZone: zones.delete_zone,
    c.CreateInstaller: installers.create_installer,
    c.UpdateInstaller: installers.update_installer,
    c.SetDuty: installers.set_duty,
    c.ReportLocation: installers.report_location,
    c.SetPolicy: policy.set_policy,
    c.CreateOrder: orders.create_order,
    c.AssignOrder: orders.assign_order,
    c.CancelOrder: orders.cancel_order,
    c.RateOrder: customer.rate_order,
    c.RequestReschedule: customer.request_reschedule,
    c.SetMessageTemplate: message_templates.set_message_template,
    c.AcceptOffer: offers.accept_offer,
    c.DeclineOffer: offers.decline_offer,
    c.StartJob: jobs.start_job,
    c.SetAppointment: after_acceptance.set_appointment,
    c.SetOff: after_acceptance.set_off,
    c.HandBack: after_acceptance.hand_back,
    c.SuspendOrder: after_acceptance.suspend,
    c.ResumeOrder: after_acceptance.resume,
    c.BookLedgerEntry: ledger.book_ledger_entry,
    c.CompleteJob: jobs.complete_job,
    c.ResolveFollowUp: jobs.resolve_follow_up,
    c.RunDueSteps: deadlines.run_steps,
    c.FireDueDeadlines: deadlines.fire_due_deadlines,
    c.AcknowledgeAlert: alerts.acknowledge_alert,
    c.AcknowledgeAlerts: alerts.acknowledge_many,
    c.SubscribePush: push.subscribe_push,
    c.ForgetGonePhone: push.forget_gone_phone,
    c.UnsubscribePush: push.unsubscribe_push,
    c.LeaseDueMessages: outbox.lease_due_messages,
    c.RecordDelivery: outbox.record_delivery,
    c.RecordDeliveryFailure: outbox.record_delivery_failure,
    c.PrepareDeployment: deployment.prepare_deployment,
}
