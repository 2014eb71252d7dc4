"""Every offer transition of the table, legal and illegal, through the offer's public methods.

The cases are generated from ``OFFER_TRANSITIONS`` so that a status added to the table without
a way in (or a guard) shows up here as a failing case rather than a forgotten one.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import pytest

from dispatchd.domain.errors import IllegalTransition
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.offers import ACTIVE_OFFER_STATUSES, OFFER_TRANSITIONS, Offer, OfferStatus
from tests.unit.builders import (
    ACTION_FOR_STATUS,
    THREE_STEP,
    TWO_STEP,
    at,
    offer_in,
    offer_sent,
)

ANSWERS: dict[OfferStatus, Callable[[Offer], None]] = {
    OfferStatus.ACCEPTED: lambda offer: offer.accept(at(100)),
    OfferStatus.DECLINED: lambda offer: offer.decline(at(100), "too far"),
    OfferStatus.WITHDRAWN: lambda offer: offer.withdraw(at(100), "reassigned by mgr"),
}
"""Statuses an offer reaches by someone's answer; the others come from the ladder."""

LEGAL = [(src, dst) for src in OfferStatus for dst in sorted(OFFER_TRANSITIONS[src])]
ILLEGAL = [
    (src, dst)
    for src, dst in product(OfferStatus, OfferStatus)
    if dst not in OFFER_TRANSITIONS[src] and dst is not OfferStatus.SENT
]


def _snapshot(offer: Offer) -> tuple[object, ...]:
    return (offer.status, offer.next_step, offer.next_step_at, offer.ended_at, offer.end_reason)


def test_the_transition_table_names_every_status() -> None:
    assert set(OFFER_TRANSITIONS) == set(OfferStatus)


def test_no_transition_leads_back_to_sent() -> None:
    targets = set().union(*OFFER_TRANSITIONS.values())
    assert OfferStatus.SENT not in targets


def test_every_status_is_either_active_or_final() -> None:
    for status in OfferStatus:
        assert (status in ACTIVE_OFFER_STATUSES) == bool(OFFER_TRANSITIONS[status]), status


@pytest.mark.parametrize(("src", "dst"), LEGAL, ids=[f"{s}->{d}" for s, d in LEGAL])
def test_every_legal_offer_transition_works(src: OfferStatus, dst: OfferStatus) -> None:
    if dst in ANSWERS:
        offer = offer_in(src)
        ANSWERS[dst](offer)
        assert offer.ended_at == at(100)
        assert offer.next_step_at is None
    else:
        offer = offer_in(src, then=ACTION_FOR_STATUS[dst])
        step = offer.next_step
        taken = offer.take_step(step, at(1000))
        assert taken is not None
        assert taken.index == step
        assert taken.action is ACTION_FOR_STATUS[dst]
        assert offer.last_step_at == at(1000)
    assert offer.status is dst
    assert offer.is_active == (dst in ACTIVE_OFFER_STATUSES)


@pytest.mark.parametrize(("src", "dst"), ILLEGAL, ids=[f"{s}->{d}" for s, d in ILLEGAL])
def test_every_illegal_offer_transition_is_refused(src: OfferStatus, dst: OfferStatus) -> None:
    offer = offer_in(src)
    before = _snapshot(offer)
    if dst in ANSWERS:
        with pytest.raises(IllegalTransition) as refused:
            ANSWERS[dst](offer)
        assert refused.value.what == f"offer {offer.id}"
        assert (refused.value.current, refused.value.wanted) == (src.value, dst.value)
        assert src.value in str(refused.value)
        assert dst.value in str(refused.value)
    else:
        assert dst in ACTION_FOR_STATUS, f"no way to ask an offer to become {dst}"
        for index in range(len(offer.ladder.steps) + 1):
            assert offer.take_step(index, at(5000)) is None
    assert _snapshot(offer) == before


def test_a_revoked_offer_cannot_be_accepted() -> None:
    offer = offer_in(OfferStatus.REVOKED)
    with pytest.raises(IllegalTransition, match="is revoked and cannot become accepted"):
        offer.accept(at(700))
    assert offer.status is OfferStatus.REVOKED


def test_an_accepted_offer_cannot_be_accepted_again() -> None:
    offer = offer_in(OfferStatus.ACCEPTED)
    with pytest.raises(IllegalTransition, match="is accepted and cannot become accepted"):
        offer.accept(at(20))


def test_a_sent_offer_waits_the_first_period_before_its_first_step() -> None:
    offer = offer_sent(THREE_STEP)
    assert offer.status is OfferStatus.SENT
    assert offer.next_step == 0
    assert offer.next_step_at == at(300)
    assert offer.ended_at is None


def test_a_repeated_escalation_step_does_nothing() -> None:
    offer = offer_sent(THREE_STEP)
    assert offer.take_step(0, at(300)) is not None
    before = _snapshot(offer)
    assert offer.take_step(0, at(301)) is None
    assert _snapshot(offer) == before
    assert offer.status is OfferStatus.REMINDED


def test_a_step_that_is_not_the_next_one_does_nothing() -> None:
    offer = offer_sent(THREE_STEP)
    before = _snapshot(offer)
    assert offer.take_step(1, at(600)) is None
    assert offer.take_step(2, at(1200)) is None
    assert _snapshot(offer) == before
    assert offer.status is OfferStatus.SENT


@pytest.mark.parametrize(
    "ended",
    [OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.WITHDRAWN, OfferStatus.REVOKED],
)
def test_an_escalation_step_on_an_ended_offer_does_nothing(ended: OfferStatus) -> None:
    offer = offer_in(ended)
    before = _snapshot(offer)
    assert offer.take_step(offer.next_step, at(5000)) is None
    assert offer.take_step(0, at(5000)) is None
    assert _snapshot(offer) == before


def test_the_next_period_counts_from_when_a_late_step_actually_happened() -> None:
    offer = offer_sent(THREE_STEP)
    late = at(300 + 250)
    assert offer.take_step(0, late) is not None
    assert offer.last_step_at == late
    assert offer.next_step_at == at(550 + 300)

    later = at(550 + 300 + 1000)
    assert offer.take_step(1, later) is not None
    assert offer.next_step_at == at(1850 + 600)


def test_a_step_fired_on_time_schedules_the_next_one_a_full_period_later() -> None:
    offer = offer_sent(TWO_STEP)
    assert offer.take_step(0, at(300)) is not None
    assert offer.next_step_at == at(300 + 600)


def test_a_revoke_ends_the_offer_and_leaves_nothing_scheduled() -> None:
    offer = offer_sent(TWO_STEP)
    offer.take_step(0, at(300))
    taken = offer.take_step(1, at(900))
    assert taken is not None
    assert taken.action is StepAction.REVOKE
    assert offer.status is OfferStatus.REVOKED
    assert offer.ended_at == at(900)
    assert offer.next_step_at is None
    assert not offer.is_active


def test_a_declined_offer_keeps_the_reason() -> None:
    offer = offer_sent()
    offer.decline(at(30), "van broke down")
    assert offer.end_reason == "van broke down"
    assert offer.ended_at == at(30)
