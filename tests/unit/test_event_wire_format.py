"""Events on the wire: the ``data`` clients rely on, produced in one place from typed events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatchd.domain import events as e
from dispatchd.domain.alerts import AlertClosure, AlertType
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.geo import Point
from dispatchd.domain.offers import OfferStatus
from dispatchd.domain.orders import OrderStatus
from dispatchd.wire.events import event_data, event_row

AT = datetime(2026, 11, 25, 10, 49, 49, 123_456, tzinfo=UTC)
WHERE: e.Addressed = {"order_id": "ord_1", "at": AT, "zone_id": "zon_1", "installer_id": "ins_1"}
OFFER = e.OfferFacts("ofr_1", OfferStatus.REMINDED, 2, AT, AT + timedelta(seconds=300))


def test_an_offer_sent_carries_the_offer_and_what_the_installer_needs_to_decide() -> None:
    sent = e.OfferSent(
        **WHERE,
        offer=OFFER,
        address="1 Nanjing Road",
        product="Air conditioner",
        location=Point(31.23, 121.47),
        notes=None,
    )
    assert event_row(sent) == {
        "name": "offer.sent",
        "order_id": "ord_1",
        "installer_id": "ins_1",
        "zone_id": "zon_1",
        "at": AT,
        "data": {
            "offer_id": "ofr_1",
            "status": "reminded",
            "attempt": 2,
            "sent_at": "2026-11-25T10:49:49.123Z",
            "next_step_at": "2026-11-25T10:54:49.123Z",
            "address": "1 Nanjing Road",
            "product": "Air conditioner",
            "location": {"lat": 31.23, "lon": 121.47},
            "notes": None,
        },
    }


def test_only_a_penalty_step_names_an_amount() -> None:
    penalty = e.OfferPenalized(
        **WHERE, offer=OFFER, step=1, action=StepAction.PENALIZE, amount=2000
    )
    reminder = e.OfferReminded(**WHERE, offer=OFFER, step=0, action=StepAction.REMIND)
    assert event_data(penalty)["amount"] == 2000
    assert event_data(penalty)["action"] == "penalize"
    assert "amount" not in event_data(reminder)


def test_an_alert_names_the_installer_it_is_about_but_is_addressed_to_managers() -> None:
    raised = e.AlertRaised(
        order_id="ord_1",
        at=AT,
        zone_id="zon_1",
        alert_id="alr_1",
        type=AlertType.OFFER_REVOKED,
        offer_id="ofr_1",
        alerted_about="ins_1",
        detail=None,
    )
    row = event_row(raised)
    assert row["installer_id"] is None
    assert row["data"]["installer_id"] == "ins_1"
    assert row["data"]["type"] == "offer_revoked"


def test_an_alert_closed_goes_to_the_managers_its_alert_went_to_and_says_why() -> None:
    closed = e.AlertClosed(
        order_id="ord_1",
        at=AT,
        zone_id="zon_1",
        alert_id="alr_1",
        type=AlertType.FOLLOW_UP_REQUIRED,
        reason=AlertClosure.SETTLED,
    )
    assert event_row(closed) == {
        "name": "alert.closed",
        "order_id": "ord_1",
        "installer_id": None,
        "zone_id": "zon_1",
        "at": AT,
        "data": {"alert_id": "alr_1", "type": "follow_up_required", "reason": "settled"},
    }


def test_states_and_flags_go_out_by_name() -> None:
    completed = e.OrderCompleted(
        **WHERE, status=OrderStatus.COMPLETED, flags=("missing_service_code",), has_photo=True
    )
    assert event_data(completed) == {
        "status": "completed",
        "flags": ["missing_service_code"],
        "has_photo": True,
        "fee": 0,
    }


def test_an_event_without_a_wire_format_is_refused_rather_than_sent_empty() -> None:
    with pytest.raises(TypeError, match="no wire format"):
        event_data(e.OrderEvent(order_id="ord_1", at=AT))


def _concrete_events() -> list[type[e.OrderEvent]]:
    found, todo = [], list(e.OrderEvent.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "name" in vars(cls):
            found.append(cls)
    return found


def test_every_event_class_has_a_wire_format_and_a_name_of_its_own() -> None:
    classes = _concrete_events()
    fallback = event_data.dispatch(e.OrderEvent)
    assert [cls.__name__ for cls in classes if event_data.dispatch(cls) is fallback] == []
    names = [cls.name for cls in classes]
    assert len(names) == len(set(names))
    assert set(names) == set(e.EventName)
