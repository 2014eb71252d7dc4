"""A job's rating: whole stars from one to five, once, after the completion; what a low
one asks for; and the arrival estimate the tracking link shows."""

from __future__ import annotations

import pytest

from dispatchd.domain.arrival import eta_minutes
from dispatchd.domain.errors import IllegalTransition, InvalidInput
from dispatchd.domain.events import OrderRated
from dispatchd.domain.orders import OrderStatus
from dispatchd.domain.ratings import MAX_COMMENT, new_rating
from tests.unit.builders import at, order_in


@pytest.mark.parametrize("stars", [0, 6, -1, True])
def test_stars_outside_one_to_five_are_refused_naming_the_field(stars: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        new_rating(stars, None, at(0))
    assert [e.field for e in refused.value.errors] == ["stars"]


def test_an_over_long_comment_is_refused_and_a_blank_one_is_none() -> None:
    with pytest.raises(InvalidInput) as refused:
        new_rating(5, "x" * (MAX_COMMENT + 1), at(0))
    assert [e.field for e in refused.value.errors] == ["comment"]
    assert new_rating(5, "   ", at(0)).comment is None


@pytest.mark.parametrize(("stars", "call"), [(1, True), (2, True), (3, False), (5, False)])
def test_one_or_two_stars_need_a_follow_up_call(stars: int, call: bool) -> None:
    assert new_rating(stars, None, at(0)).needs_follow_up is call


@pytest.mark.parametrize(
    "status", [s for s in OrderStatus if s is not OrderStatus.COMPLETED], ids=str
)
def test_only_a_completed_job_can_be_rated(status: OrderStatus) -> None:
    order = order_in(status)
    with pytest.raises(IllegalTransition):
        order.rate(new_rating(5, None, at(10)))
    assert order.rating is None


def test_a_completed_job_is_rated_once_and_records_the_event() -> None:
    order = order_in(OrderStatus.COMPLETED)
    order.events.clear()
    order.rate(new_rating(4, "fine", at(10)))
    with pytest.raises(IllegalTransition, match="already rated"):
        order.rate(new_rating(1, None, at(20)))
    assert order.rating is not None
    assert order.rating.stars == 4
    [event] = order.events
    assert isinstance(event, OrderRated)
    assert (event.stars, event.comment, event.installer_id) == (4, "fine", order.installer_id)


@pytest.mark.parametrize(("km", "minutes"), [(0.0, 1), (1.0, 4), (2.9, 10), (10.0, 32)])
def test_the_estimate_is_1_3_times_the_distance_at_25_kmh_rounded_up(
    km: float, minutes: int
) -> None:
    assert eta_minutes(km) == minutes


def test_a_visit_can_be_moved_only_until_the_installation_starts() -> None:
    for status in (OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        with pytest.raises(IllegalTransition):
            order_in(status).request_reschedule("away", None, at(0))
    accepted = order_in(OrderStatus.ACCEPTED)
    accepted.events.clear()
    accepted.request_reschedule("away", None, at(0))
    assert [e.name.value for e in accepted.events] == ["order.reschedule_requested"]
