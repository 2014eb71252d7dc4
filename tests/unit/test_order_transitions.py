"""Every order transition of the table, legal and illegal, through the order's public methods.

Cases are generated from ``ORDER_TRANSITIONS``: a status or transition added to the table
without a method that performs it (or a guard that refuses it) fails here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from itertools import product

import pytest

from dispatchd.domain.errors import IllegalTransition
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.events import EventName
from dispatchd.domain.holds import SuspendReason
from dispatchd.domain.offers import OfferStatus
from dispatchd.domain.orders import (
    MISSING_SERVICE_CODE,
    OPEN_ORDER_STATUSES,
    ORDER_TRANSITIONS,
    SERVICE_CODE_MISMATCH,
    CompletionProof,
    Order,
    OrderStatus,
)
from dispatchd.domain.service_code import MAX_WRONG_CODES
from tests.unit.builders import (
    THREE_STEP,
    TWO_STEP,
    at,
    ladder_of,
    new_order,
    offer_sent,
    offered_order,
    order_in,
    suspended_from,
)

Move = Callable[[Order], object]

PROOF = CompletionProof(photo_key="pht_1", photo_taken_at=None, notes=None, code_confirmed=True)


def _complete(order: Order) -> object:
    return order.complete(at(40), PROOF)


def _decline(order: Order) -> object:
    return order.decline_offer(order.offers[-1].id, at(40), "too far")


def _accept(order: Order) -> object:
    return order.accept_offer(order.offers[-1].id, at(40))


def _take_away(order: Order) -> object:
    return order.take_away("installer ill", at(40), "usr_manager")


# How a caller asks an order to become each status (a KeyError here means a forgotten status);
# where the way depends on where the order stands, ``REQUESTS_FROM`` says so.
REQUESTS: dict[OrderStatus, Move] = {
    OrderStatus.PENDING: _decline,
    OrderStatus.OFFERED: lambda order: order.offer_to("ofr_9", "ins_b", THREE_STEP, at(40)),
    OrderStatus.ACCEPTED: _accept,
    OrderStatus.SUSPENDED: lambda order: order.suspend(
        SuspendReason.CUSTOMER_ABSENT, None, None, at(40)
    ),
    OrderStatus.IN_PROGRESS: lambda order: order.start(at(40)),
    OrderStatus.COMPLETED: _complete,
    OrderStatus.CANCELLED: lambda order: order.cancel(at(40), "customer moved house"),
}
REQUESTS_FROM: dict[tuple[OrderStatus, OrderStatus], Move] = {
    (OrderStatus.ACCEPTED, OrderStatus.PENDING): lambda order: order.hand_back(
        "van broke down", at(40), "usr_installer"
    ),
    (OrderStatus.IN_PROGRESS, OrderStatus.PENDING): _take_away,
    (OrderStatus.SUSPENDED, OrderStatus.PENDING): _take_away,
    (OrderStatus.SUSPENDED, OrderStatus.ACCEPTED): lambda order: order.resume(at(40)),
    (OrderStatus.SUSPENDED, OrderStatus.IN_PROGRESS): lambda order: order.resume(at(40)),
}

EVENT_OF: dict[tuple[OrderStatus, OrderStatus], EventName] = {
    (OrderStatus.PENDING, OrderStatus.OFFERED): EventName.OFFER_SENT,
    (OrderStatus.OFFERED, OrderStatus.PENDING): EventName.OFFER_DECLINED,
    (OrderStatus.OFFERED, OrderStatus.ACCEPTED): EventName.OFFER_ACCEPTED,
    (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS): EventName.ORDER_STARTED,
    (OrderStatus.ACCEPTED, OrderStatus.SUSPENDED): EventName.ORDER_SUSPENDED,
    (OrderStatus.ACCEPTED, OrderStatus.PENDING): EventName.ORDER_HANDED_BACK,
    (OrderStatus.SUSPENDED, OrderStatus.ACCEPTED): EventName.ORDER_RESUMED,
    (OrderStatus.SUSPENDED, OrderStatus.IN_PROGRESS): EventName.ORDER_RESUMED,
    (OrderStatus.SUSPENDED, OrderStatus.PENDING): EventName.ORDER_REASSIGNED,
    (OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED): EventName.ORDER_COMPLETED,
    (OrderStatus.IN_PROGRESS, OrderStatus.SUSPENDED): EventName.ORDER_SUSPENDED,
    (OrderStatus.IN_PROGRESS, OrderStatus.PENDING): EventName.ORDER_REASSIGNED,
}
PROMISE_EVENTS = frozenset({EventName.PROMISE_KEPT})


def _start_in(src: OrderStatus, dst: OrderStatus) -> Order:
    """An order in ``src``; a suspended one was on hold from the status it resumes to."""
    if src is OrderStatus.SUSPENDED and dst in (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS):
        return suspended_from(dst)
    return order_in(src)


def _request(src: OrderStatus, dst: OrderStatus) -> Move:
    return REQUESTS_FROM.get((src, dst), REQUESTS[dst])


def _case(src: OrderStatus, dst: OrderStatus) -> object:
    return pytest.param(src, dst, id=f"{src}->{dst}")


LEGAL = [_case(src, dst) for src in OrderStatus for dst in sorted(ORDER_TRANSITIONS[src])]
ILLEGAL = [
    _case(src, dst)
    for src, dst in product(OrderStatus, OrderStatus)
    if dst not in ORDER_TRANSITIONS[src]
]


def test_the_transition_table_names_every_status() -> None:
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)
    assert set(REQUESTS) == set(OrderStatus)
    assert set(EVENT_OF) | {(s, OrderStatus.CANCELLED) for s in OPEN_ORDER_STATUSES} == {
        (src, dst) for src in OrderStatus for dst in ORDER_TRANSITIONS[src]
    }


def test_open_statuses_are_exactly_those_with_a_way_out() -> None:
    for status in OrderStatus:
        assert (status in OPEN_ORDER_STATUSES) == bool(ORDER_TRANSITIONS[status]), status


@pytest.mark.parametrize(("src", "dst"), LEGAL)
def test_every_legal_order_transition_works(src: OrderStatus, dst: OrderStatus) -> None:
    order = _start_in(src, dst)
    _request(src, dst)(order)
    assert order.status is dst
    names = [event.name for event in order.events if event.name not in PROMISE_EVENTS]
    if dst is OrderStatus.CANCELLED:
        assert names[-1] is EventName.ORDER_CANCELLED
        assert order.cancelled_at == at(40)
    else:
        assert names == [EVENT_OF[(src, dst)]]


@pytest.mark.parametrize(("src", "dst"), ILLEGAL)
def test_every_illegal_order_transition_is_refused_naming_both_states(
    src: OrderStatus, dst: OrderStatus
) -> None:
    """The order's own guard must answer, so an active offer is attached where one is needed."""
    order = order_in(src)
    if dst in (OrderStatus.ACCEPTED, OrderStatus.PENDING) and order.current_offer is None:
        order.offers.append(offer_sent(THREE_STEP, offer_id="ofr_stray"))
    with pytest.raises(IllegalTransition) as refused:
        _request(src, dst)(order)
    assert refused.value.what == f"order {order.id}"
    assert (refused.value.current, refused.value.wanted) == (src.value, dst.value)
    assert f"is {src.value} and cannot become {dst.value}" in str(refused.value)
    assert order.status is src
    assert order.events == []


def test_an_offered_order_goes_back_to_pending_when_its_offer_is_withdrawn() -> None:
    order = offered_order()
    withdrawn = order.withdraw_offer(at(50), "reassigned by mgr")
    assert withdrawn is not None
    assert withdrawn.status is OfferStatus.WITHDRAWN
    assert order.status is OrderStatus.PENDING
    assert order.current_offer is None
    assert [event.name for event in order.events] == [EventName.OFFER_WITHDRAWN]


def test_an_offered_order_goes_back_to_pending_when_its_offer_is_revoked() -> None:
    order = offered_order(ladder_of(StepAction.REVOKE))
    taken = order.escalate("ofr_1", 0, at(600))
    assert taken is not None
    assert order.status is OrderStatus.PENDING
    assert order.offers[0].status is OfferStatus.REVOKED
    assert [event.name for event in order.events] == [EventName.OFFER_REVOKED]


def test_cancelling_an_offered_order_withdraws_its_offer_first() -> None:
    order = offered_order()
    order.cancel(at(60), "customer moved house")
    assert order.status is OrderStatus.CANCELLED
    assert order.offers[0].status is OfferStatus.WITHDRAWN
    assert order.cancel_reason == "customer moved house"
    assert [event.name for event in order.events] == [
        EventName.OFFER_WITHDRAWN,
        EventName.ORDER_CANCELLED,
    ]


def test_withdrawing_when_no_offer_is_active_does_nothing() -> None:
    order = order_in(OrderStatus.ACCEPTED)
    assert order.withdraw_offer(at(50), "reassigned") is None
    assert order.status is OrderStatus.ACCEPTED
    assert order.offers[0].status is OfferStatus.ACCEPTED
    assert order.events == []


def test_a_revoked_offer_cannot_be_accepted() -> None:
    order = offered_order(TWO_STEP)
    order.escalate("ofr_1", 0, at(300))
    order.escalate("ofr_1", 1, at(900))
    assert order.offers[0].status is OfferStatus.REVOKED
    order.events.clear()
    with pytest.raises(IllegalTransition) as refused:
        order.accept_offer("ofr_1", at(901))
    assert (refused.value.current, refused.value.wanted) == ("revoked", "accepted")
    assert order.status is OrderStatus.PENDING
    assert order.installer_id is None
    assert order.events == []


def test_an_offer_the_order_never_made_cannot_be_accepted() -> None:
    order = offered_order()
    with pytest.raises(IllegalTransition, match="offer ofr_other is unknown"):
        order.accept_offer("ofr_other", at(30))
    assert order.status is OrderStatus.OFFERED


def test_accepting_makes_the_order_the_installers() -> None:
    order = offered_order(installer_id="ins_z")
    order.accept_offer("ofr_1", at(30))
    assert order.installer_id == "ins_z"
    assert order.accepted_at == at(30)
    assert order.current_offer is None


def test_a_new_offer_after_a_decline_is_the_next_attempt() -> None:
    order = offered_order(installer_id="ins_a")
    order.decline_offer("ofr_1", at(30), None)
    second = order.offer_to("ofr_2", "ins_b", THREE_STEP, at(31))
    assert second.attempt == 2
    assert order.attempts == 2
    assert order.current_offer is second
    assert order.lapsed_offers == 1
    assert order.excluded_installers == frozenset({"ins_a"})


def test_a_withdrawn_installer_is_not_excluded_from_the_order() -> None:
    order = offered_order(installer_id="ins_a")
    order.withdraw_offer(at(30), "reassigned")
    assert order.lapsed_offers == 0
    assert order.excluded_installers == frozenset()


def test_a_stale_escalation_of_an_order_does_nothing() -> None:
    order = offered_order(THREE_STEP)
    assert order.escalate("ofr_1", 0, at(300)) is not None
    order.events.clear()
    assert order.escalate("ofr_1", 0, at(301)) is None
    assert order.escalate("ofr_unknown", 1, at(600)) is None
    assert order.events == []
    assert order.status is OrderStatus.OFFERED


def test_a_pending_order_has_no_current_offer() -> None:
    order = new_order()
    assert order.current_offer is None
    assert order.attempts == 0
    assert order.is_open


def test_a_completion_with_the_right_code_is_not_flagged() -> None:
    order = order_in(OrderStatus.IN_PROGRESS)
    assert order.complete(at(40), PROOF) is None
    assert order.status is OrderStatus.COMPLETED
    assert order.completed_at == at(40)
    assert order.photo_key == "pht_1"
    assert order.flags == []
    assert not order.needs_follow_up
    assert not order.is_open


def test_a_completion_without_the_code_is_flagged_for_a_follow_up_call() -> None:
    order = order_in(OrderStatus.IN_PROGRESS)
    unconfirmed = dataclasses.replace(PROOF, code_confirmed=False)
    assert order.complete(at(40), unconfirmed) == MISSING_SERVICE_CODE
    assert order.flags == [MISSING_SERVICE_CODE]
    assert order.needs_follow_up
    assert [event.name for event in order.events] == [
        EventName.ORDER_COMPLETED,
        EventName.ORDER_FLAGGED,
        EventName.PROMISE_KEPT,
    ]


def test_wrong_codes_lock_the_code_and_the_completion_is_flagged_as_a_mismatch() -> None:
    order = order_in(OrderStatus.IN_PROGRESS)
    left = [order.record_wrong_service_code() for _ in range(MAX_WRONG_CODES)]
    assert left == list(range(MAX_WRONG_CODES - 1, -1, -1))
    assert order.service_code_locked
    with pytest.raises(IllegalTransition, match="locked"):
        order.record_wrong_service_code()
    unconfirmed = dataclasses.replace(PROOF, code_confirmed=False)
    assert order.complete(at(40), unconfirmed) == SERVICE_CODE_MISMATCH


def test_a_wrong_code_cannot_be_counted_before_the_job_has_started() -> None:
    order = order_in(OrderStatus.ACCEPTED)
    with pytest.raises(IllegalTransition, match="is accepted and cannot become completed"):
        order.record_wrong_service_code()
    assert order.service_code_failures == 0


def test_a_follow_up_resolves_the_flag_once() -> None:
    order = order_in(OrderStatus.IN_PROGRESS)
    order.complete(at(40), dataclasses.replace(PROOF, code_confirmed=False))
    order.resolve_follow_up(at(50), "customer confirmed", None, "mgr")
    assert not order.needs_follow_up
    with pytest.raises(IllegalTransition, match="already followed up"):
        order.resolve_follow_up(at(60), "again", None, "mgr")


def test_an_unflagged_order_needs_no_follow_up() -> None:
    order = order_in(OrderStatus.IN_PROGRESS)
    order.complete(at(40), PROOF)
    with pytest.raises(IllegalTransition, match="not awaiting a follow-up"):
        order.resolve_follow_up(at(50), "called anyway", None, "mgr")
