"""Promises after acceptance: each ladder, its validation, and the pause/resume arithmetic.

The appointment, arrival and completion promises are watched like the offer: each step once,
the next counted from when the previous one actually ran, a kept promise ending its ladder and
a suspension stopping the clock with the time that was left.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatchd.domain.errors import IllegalTransition, InvalidInput
from dispatchd.domain.escalation import DEFAULT_POLICY, Policy
from dispatchd.domain.holds import SuspendReason
from dispatchd.domain.orders import Order, OrderStatus
from dispatchd.domain.promises import (
    Promise,
    PromiseAction,
    PromiseKind,
    PromiseLadder,
    PromiseStep,
)
from tests.unit.builders import T0, at, offered_order

REMIND_AT_ONCE = PromiseStep(0, PromiseAction.REMIND)
ALERT_AFTER_10M = PromiseStep(600, PromiseAction.ALERT)
PENALIZE_AFTER_20M = PromiseStep(1200, PromiseAction.PENALIZE, 1500)
REASSIGN_AFTER_1H = PromiseStep(3600, PromiseAction.REASSIGN)

LADDER = PromiseLadder((REMIND_AT_ONCE, ALERT_AFTER_10M, PENALIZE_AFTER_20M))


def promise(ladder: PromiseLadder = LADDER, kind: PromiseKind = PromiseKind.ARRIVAL) -> Promise:
    """A promise started at T0 for installer ``ins_a``."""
    return Promise.start(kind, "ins_a", ladder, T0)


def with_promises(**ladders: PromiseLadder) -> Policy:
    """The default policy with these promise ladders (the others left empty)."""
    return Policy(
        escalation=DEFAULT_POLICY.escalation,
        promises={PromiseKind(kind): ladder for kind, ladder in ladders.items()},
    )


def accepted(policy: Policy) -> Order:
    """An order accepted at 10 s under ``policy``."""
    order = offered_order()
    order.accept_offer("ofr_1", at(10), policy)
    order.events.clear()
    return order


# -- one promise ------------------------------------------------------------------------------


def test_a_new_promise_is_due_its_first_step_after_that_steps_period() -> None:
    assert promise().next_step_at == T0
    later = promise(PromiseLadder((ALERT_AFTER_10M,)))
    assert later.next_step_at == at(600)


def test_an_empty_ladder_watches_nothing() -> None:
    empty = promise(PromiseLadder(()))
    assert empty.next_step_at is None
    assert empty.take_step(0, at(1)) is None


def test_each_step_counts_from_when_the_previous_one_actually_ran() -> None:
    watched = promise()
    assert watched.take_step(0, at(90)) is not None
    assert watched.next_step_at == at(90 + 600)
    assert watched.take_step(1, at(5000)) is not None
    assert watched.next_step_at == at(5000 + 1200)


def test_a_step_runs_once_and_a_stale_or_skipped_index_changes_nothing() -> None:
    watched = promise()
    assert watched.take_step(1, at(1)) is None
    taken = watched.take_step(0, at(1))
    assert taken is not None
    assert taken.action is PromiseAction.REMIND
    assert watched.take_step(0, at(2)) is None
    assert watched.steps_taken == 1


def test_after_the_last_step_nothing_is_due() -> None:
    watched = promise()
    for index, moment in enumerate((0, 600, 1800)):
        assert watched.take_step(index, at(moment)) is not None
    assert watched.next_step_at is None
    assert watched.take_step(3, at(99999)) is None


def test_the_penalty_step_carries_its_amount() -> None:
    watched = promise()
    watched.take_step(0, at(0))
    watched.take_step(1, at(600))
    taken = watched.take_step(2, at(1800))
    assert taken is not None
    assert (taken.action, taken.step.amount) == (PromiseAction.PENALIZE, 1500)


def test_a_reassign_step_ends_the_ladder() -> None:
    watched = promise(PromiseLadder((ALERT_AFTER_10M, REASSIGN_AFTER_1H)))
    watched.take_step(0, at(600))
    assert watched.take_step(1, at(4200)) is not None
    assert watched.next_step_at is None


def test_a_kept_promise_stops_its_ladder_and_cannot_be_kept_twice() -> None:
    watched = promise()
    assert watched.keep(at(30))
    assert not watched.is_open
    assert watched.next_step_at is None
    assert watched.take_step(0, at(31)) is None
    assert not watched.keep(at(32))
    assert not watched.end(at(33))


def test_an_ended_promise_is_not_kept() -> None:
    watched = promise()
    assert watched.end(at(30))
    assert watched.kept_at is None
    assert watched.ended_at == at(30)


def test_a_pause_keeps_the_time_left_to_the_second() -> None:
    watched = promise(PromiseLadder((ALERT_AFTER_10M,)))
    watched.pause(at(250))
    assert watched.paused
    assert watched.next_step_at is None
    assert watched.time_left == timedelta(seconds=350)
    watched.resume(at(10_000))
    assert not watched.paused
    assert watched.next_step_at == at(10_350)


def test_a_paused_promise_takes_no_step_however_late() -> None:
    watched = promise(PromiseLadder((ALERT_AFTER_10M,)))
    watched.pause(at(100))
    assert watched.take_step(0, at(99_999)) is None
    assert watched.steps_taken == 0


def test_a_step_overdue_at_the_pause_is_due_at_once_on_resume() -> None:
    watched = promise(PromiseLadder((ALERT_AFTER_10M,)))
    watched.pause(at(900))
    assert watched.time_left == timedelta(0)
    watched.resume(at(2000))
    assert watched.next_step_at == at(2000)


def test_pausing_twice_keeps_the_first_time_left() -> None:
    watched = promise(PromiseLadder((ALERT_AFTER_10M,)))
    watched.pause(at(100))
    watched.pause(at(400))
    watched.resume(at(1000))
    assert watched.next_step_at == at(1500)


def test_two_pauses_add_up_exactly() -> None:
    watched = promise(PromiseLadder((ALERT_AFTER_10M,)))
    watched.pause(at(100))
    watched.resume(at(1100))
    watched.pause(at(1300))
    watched.resume(at(5000))
    assert watched.next_step_at == at(5000 + 600 - 100 - 200)


# -- ladder validation ------------------------------------------------------------------------


def test_only_the_first_step_may_run_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        PromiseLadder((ALERT_AFTER_10M, PromiseStep(0, PromiseAction.REMIND)))
    assert [e.field for e in refused.value.errors] == ["[1].after_s"]


def test_a_reassign_step_may_only_come_last() -> None:
    with pytest.raises(InvalidInput) as refused:
        PromiseLadder((REASSIGN_AFTER_1H, ALERT_AFTER_10M))
    assert [e.field for e in refused.value.errors] == ["[0].action"]


def test_a_penalize_step_without_an_amount_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        PromiseLadder((PromiseStep(60, PromiseAction.PENALIZE, 0),))
    assert [e.field for e in refused.value.errors] == ["[0].amount"]


def test_a_period_beyond_thirty_days_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        PromiseLadder((PromiseStep(30 * 24 * 3600 + 1, PromiseAction.ALERT),))
    assert refused.value.errors[0].field == "[0].after_s"


def test_more_than_twenty_steps_are_refused() -> None:
    with pytest.raises(InvalidInput):
        PromiseLadder(tuple(PromiseStep(60, PromiseAction.REMIND) for _ in range(21)))


def test_every_fault_of_a_ladder_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        PromiseLadder(
            (
                REASSIGN_AFTER_1H,
                PromiseStep(0, PromiseAction.PENALIZE, 0),
            )
        )
    assert sorted(e.field for e in refused.value.errors) == [
        "[0].action",
        "[1].after_s",
        "[1].amount",
    ]


# -- promises on the order --------------------------------------------------------------------


def test_acceptance_without_a_window_starts_the_appointment_promise() -> None:
    order = accepted(with_promises(appointment=LADDER))
    (open_promise,) = order.open_promises
    assert open_promise.kind is PromiseKind.APPOINTMENT
    assert open_promise.installer_id == "ins_a"
    assert open_promise.next_step_at == at(10)


def test_agreeing_a_window_keeps_the_appointment_and_starts_the_arrival_at_its_end() -> None:
    policy = with_promises(appointment=LADDER, arrival=PromiseLadder((ALERT_AFTER_10M,)))
    order = accepted(policy)
    order.set_appointment(at(7200), at(14400), at(60), None, policy)
    assert order.promises[PromiseKind.APPOINTMENT].kept_at == at(60)
    arrival = order.promises[PromiseKind.ARRIVAL]
    assert arrival.since == at(14400)
    assert arrival.next_step_at == at(14400 + 600)


def test_moving_the_window_starts_the_arrival_afresh_and_counts_the_move() -> None:
    policy = with_promises(arrival=PromiseLadder((REMIND_AT_ONCE, ALERT_AFTER_10M)))
    order = accepted(policy)
    order.set_appointment(at(7200), at(14400), at(60), None, policy)
    assert order.run_promise_step(PromiseKind.ARRIVAL, 0, at(14400)) is not None
    order.set_appointment(at(20000), at(27200), at(14500), "customer asked", policy)
    arrival = order.promises[PromiseKind.ARRIVAL]
    assert (arrival.since, arrival.steps_taken) == (at(27200), 0)
    assert arrival.next_step_at == at(27200)
    assert order.appointment is not None
    assert order.appointment.moves == 1


def test_moving_a_window_without_a_reason_is_refused_and_changes_nothing() -> None:
    policy = with_promises(arrival=LADDER)
    order = accepted(policy)
    order.set_appointment(at(7200), at(14400), at(60), None, policy)
    with pytest.raises(InvalidInput) as refused:
        order.set_appointment(at(20000), at(27200), at(100), None, policy)
    assert [e.field for e in refused.value.errors] == ["reason"]
    assert order.appointment is not None
    assert (order.appointment.window_start, order.appointment.moves) == (at(7200), 0)


def test_the_start_keeps_the_arrival_and_starts_the_completion() -> None:
    policy = with_promises(arrival=LADDER, completion=PromiseLadder((ALERT_AFTER_10M,)))
    order = accepted(policy)
    order.set_appointment(at(7200), at(14400), at(60), None, policy)
    order.start(at(9000), policy)
    assert order.promises[PromiseKind.ARRIVAL].kept_at == at(9000)
    assert order.promises[PromiseKind.COMPLETION].next_step_at == at(9600)


def test_a_suspension_pauses_every_open_promise_and_resume_restores_their_time() -> None:
    policy = with_promises(appointment=PromiseLadder((ALERT_AFTER_10M,)))
    order = accepted(policy)
    order.suspend(SuspendReason.CUSTOMER_ABSENT, None, None, at(310))
    appointment = order.promises[PromiseKind.APPOINTMENT]
    assert appointment.paused
    assert appointment.next_step_at is None
    assert order.run_promise_step(PromiseKind.APPOINTMENT, 0, at(5000)) is None
    order.resume(at(8000))
    assert order.status is OrderStatus.ACCEPTED
    assert appointment.next_step_at == at(8000 + 300)


def test_handing_back_ends_the_promises_and_leaves_the_order_pending() -> None:
    order = accepted(with_promises(appointment=LADDER))
    order.hand_back("van broke down", at(100), "usr_ins_a")
    assert order.status is OrderStatus.PENDING
    assert order.installer_id is None
    assert order.open_promises == []
    assert "ins_a" in order.excluded_installers


def test_hand_back_after_the_start_is_refused() -> None:
    order = accepted(DEFAULT_POLICY)
    order.start(at(100))
    with pytest.raises(IllegalTransition):
        order.hand_back("too hard", at(200), "usr_ins_a")
    assert order.status is OrderStatus.IN_PROGRESS


def test_resuming_an_order_that_is_not_suspended_is_refused() -> None:
    order = accepted(DEFAULT_POLICY)
    with pytest.raises(IllegalTransition):
        order.resume(at(100))
