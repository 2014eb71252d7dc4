"""The escalation ladder: both embodiments run to the end, and bad ladders are named precisely."""

from __future__ import annotations

from typing import Any

import pytest

from dispatchd.domain.errors import InvalidInput
from dispatchd.domain.escalation import (
    DEFAULT_POLICY,
    MAX_PENALTY,
    MAX_PERIOD_S,
    MAX_STEPS,
    EscalationStep,
    Ladder,
    Policy,
    StepAction,
    ladder_errors,
)
from dispatchd.domain.events import EventName, OfferPenalized, OfferReminded, OfferRevoked
from dispatchd.domain.offers import OfferStatus
from dispatchd.domain.orders import OrderStatus
from dispatchd.wire.policy import ladder_from_json, ladder_json, policy_from_json, policy_json
from tests.unit.builders import PENALIZE, REMIND, REVOKE, THREE_STEP, TWO_STEP, at, offered_order


def _fields(raised: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [error.field for error in raised.value.errors]


def test_a_two_step_ladder_reminds_then_revokes() -> None:
    order = offered_order(TWO_STEP)
    offer = order.offers[0]

    reminded = order.escalate(offer.id, 0, at(300))
    assert reminded is not None
    assert reminded.action is StepAction.REMIND
    assert offer.status is OfferStatus.REMINDED
    assert offer.next_step_at == at(900)
    assert order.status is OrderStatus.OFFERED

    revoked = order.escalate(offer.id, 1, at(900))
    assert revoked is not None
    assert revoked.action is StepAction.REVOKE
    assert order.offers[0].status is OfferStatus.REVOKED
    assert offer.next_step_at is None
    assert order.status is OrderStatus.PENDING
    assert [event.name for event in order.events] == [
        EventName.OFFER_REMINDED,
        EventName.OFFER_REVOKED,
    ]
    assert order.escalate(offer.id, 2, at(2000)) is None


def test_a_three_step_ladder_reminds_penalizes_then_revokes() -> None:
    order = offered_order(THREE_STEP)
    offer = order.offers[0]

    assert order.escalate(offer.id, 0, at(300)) is not None
    penalized = order.escalate(offer.id, 1, at(600))
    assert penalized is not None
    assert penalized.action is StepAction.PENALIZE
    assert penalized.step.amount == 2000
    assert offer.status is OfferStatus.PENALIZED
    assert offer.next_step_at == at(1200)

    assert order.escalate(offer.id, 2, at(1200)) is not None
    assert order.offers[0].status is OfferStatus.REVOKED
    assert order.status is OrderStatus.PENDING
    names = [event.name for event in order.events]
    assert names == [EventName.OFFER_REMINDED, EventName.OFFER_PENALIZED, EventName.OFFER_REVOKED]
    reminded, penalty, revoked = order.events
    assert isinstance(penalty, OfferPenalized)
    assert (penalty.amount, penalty.step) == (2000, 1)
    assert isinstance(reminded, OfferReminded)
    assert not hasattr(reminded, "amount")
    assert isinstance(revoked, OfferRevoked)
    assert revoked.offer.status is OfferStatus.REVOKED


def test_the_default_policy_is_the_three_step_embodiment() -> None:
    assert [step.action for step in DEFAULT_POLICY.escalation.steps] == [
        StepAction.REMIND,
        StepAction.PENALIZE,
        StepAction.REVOKE,
    ]
    assert DEFAULT_POLICY.max_auto_attempts == 3


def test_a_ladder_of_a_single_revoke_is_valid() -> None:
    assert Ladder((REVOKE,)).step(0) is REVOKE


def test_an_empty_ladder_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        Ladder(())
    assert _fields(raised) == ["escalation"]


@pytest.mark.parametrize("after_s", [0, -5])
def test_a_step_without_a_positive_period_is_named_by_its_path(after_s: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        Ladder((REMIND, EscalationStep(after_s, StepAction.PENALIZE, 100), REVOKE))
    assert _fields(raised) == ["escalation[1].after_s"]
    assert str(after_s) in raised.value.errors[0].message


@pytest.mark.parametrize("amount", [0, -2000])
def test_a_penalty_without_a_positive_amount_is_named_by_its_path(amount: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        Ladder((REMIND, EscalationStep(300, StepAction.PENALIZE, amount), REVOKE))
    assert _fields(raised) == ["escalation[1].amount"]


def test_periods_and_amounts_at_their_limits_are_accepted() -> None:
    steps = (
        EscalationStep(1, StepAction.REMIND),
        EscalationStep(MAX_PERIOD_S, StepAction.PENALIZE, MAX_PENALTY),
        EscalationStep(1, StepAction.REVOKE),
    )
    assert ladder_errors(steps) == []
    assert ladder_from_json(ladder_json(Ladder(steps))).steps == steps


def test_periods_and_amounts_beyond_their_limits_are_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        Ladder(
            (
                EscalationStep(MAX_PERIOD_S + 1, StepAction.PENALIZE, MAX_PENALTY + 1),
                REVOKE,
            )
        )
    assert _fields(raised) == ["escalation[0].after_s", "escalation[0].amount"]


def test_a_ladder_longer_than_the_limit_is_refused() -> None:
    steps = (REMIND,) * MAX_STEPS + (REVOKE,)
    with pytest.raises(InvalidInput) as raised:
        Ladder(steps)
    assert _fields(raised) == ["escalation"]
    assert str(MAX_STEPS) in raised.value.detail


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param((REMIND, PENALIZE), id="no-final-revoke"),
        pytest.param((REVOKE, REMIND), id="revoke-not-last"),
        pytest.param((REMIND, REVOKE, REVOKE), id="two-revokes"),
    ],
)
def test_a_ladder_must_end_in_exactly_one_revoke(steps: tuple[EscalationStep, ...]) -> None:
    with pytest.raises(InvalidInput) as raised:
        Ladder(steps)
    assert _fields(raised) == ["escalation"]
    assert "exactly one revoke" in raised.value.detail


def test_every_mistake_of_a_ladder_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        Ladder((EscalationStep(0, StepAction.REMIND), EscalationStep(300, StepAction.PENALIZE)))
    assert _fields(raised) == ["escalation[0].after_s", "escalation[1].amount", "escalation"]


def test_a_ladder_parsed_from_json_names_fields_under_the_given_prefix() -> None:
    raw: list[dict[str, Any]] = [
        {"after_s": 300, "action": "remind"},
        {"after_s": 300, "action": "penalize", "amount": 0},
        {"after_s": -1, "action": "revoke"},
    ]
    with pytest.raises(InvalidInput) as raised:
        ladder_from_json(raw, field="policy.escalation")
    assert _fields(raised) == ["policy.escalation[1].amount", "policy.escalation[2].after_s"]


def test_an_unknown_action_is_named_by_its_path() -> None:
    raw: list[dict[str, Any]] = [
        {"after_s": 300, "action": "remind"},
        {"after_s": 300, "action": "shout"},
        {"after_s": 600, "action": "revoke"},
    ]
    with pytest.raises(InvalidInput) as raised:
        ladder_from_json(raw)
    assert _fields(raised) == ["escalation[1].action"]


def test_a_ladder_survives_the_round_trip_through_json() -> None:
    raw = ladder_json(THREE_STEP)
    assert raw == [
        {"after_s": 300, "action": "remind"},
        {"after_s": 300, "action": "penalize", "amount": 2000},
        {"after_s": 600, "action": "revoke"},
    ]
    assert ladder_from_json(raw) == THREE_STEP


@pytest.mark.parametrize("attempts", [1, 3, 100])
def test_max_auto_attempts_within_bounds_is_accepted(attempts: int) -> None:
    assert Policy(THREE_STEP, max_auto_attempts=attempts).max_auto_attempts == attempts


@pytest.mark.parametrize("attempts", [0, -1, 101])
def test_max_auto_attempts_out_of_bounds_is_refused(attempts: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        Policy(THREE_STEP, max_auto_attempts=attempts)
    assert _fields(raised) == ["max_auto_attempts"]
    assert str(attempts) in raised.value.detail


def test_a_policy_reads_back_as_the_api_spells_it() -> None:
    assert policy_json(Policy(TWO_STEP, max_auto_attempts=2)) == {
        "escalation": [{"after_s": 300, "action": "remind"}, {"after_s": 600, "action": "revoke"}],
        "max_auto_attempts": 2,
        "customer_notice": "on_accept",
        "promises": {
            "appointment": [
                {"after_s": 1800, "action": "remind"},
                {"after_s": 3600, "action": "alert"},
                {"after_s": 3600, "action": "penalize", "amount": 1000},
            ],
            "arrival": [
                {"after_s": 0, "action": "alert"},
                {"after_s": 1800, "action": "penalize", "amount": 2000},
            ],
            "completion": [{"after_s": 14400, "action": "alert"}],
        },
        "max_window_s": 14400,
        "ranking": {"distance_km": 1.0, "active_jobs": 2.0, "rating": 1.0},
    }


def test_a_policy_sent_without_its_promises_keeps_the_ones_in_force() -> None:
    in_force = policy_from_json(
        {
            **policy_json(Policy(TWO_STEP)),
            "promises": {"completion": [{"after_s": 60, "action": "reassign"}]},
            "max_window_s": 7200,
        }
    )
    sent = policy_from_json(
        {"escalation": ladder_json(THREE_STEP), "max_auto_attempts": 3}, keep=in_force
    )
    assert sent.escalation == THREE_STEP
    assert sent.promises == in_force.promises
    assert sent.max_window_s == 7200


def test_every_mistake_in_a_promise_ladder_names_its_step_and_the_fix() -> None:
    with pytest.raises(InvalidInput) as raised:
        policy_from_json(
            {
                "escalation": ladder_json(TWO_STEP),
                "promises": {
                    "arrival": [
                        {"after_s": 0, "action": "reassign"},
                        {"after_s": 0, "action": "penalize"},
                        {"after_s": 10, "action": "shout"},
                    ],
                    "lunch": [],
                },
                "ranking": {"rating": -1},
            }
        )
    fields = {error.field: error.message for error in raised.value.errors}
    assert set(fields) == {
        "promises.arrival[2].action",
        "promises.lunch",
        "ranking.rating",
    }
    with pytest.raises(InvalidInput) as again:
        policy_from_json(
            {
                "escalation": ladder_json(TWO_STEP),
                "promises": {
                    "arrival": [
                        {"after_s": 0, "action": "reassign"},
                        {"after_s": 0, "action": "penalize"},
                    ]
                },
            }
        )
    fields = {error.field: error.message for error in again.value.errors}
    assert set(fields) == {
        "promises.arrival[0].action",
        "promises.arrival[1].after_s",
        "promises.arrival[1].amount",
    }
    assert "only be the last step" in fields["promises.arrival[0].action"]


def test_each_fault_of_a_ladder_carries_a_code_and_its_numbers_for_a_client_to_translate() -> None:
    steps = (
        EscalationStep(0, StepAction.REMIND),
        EscalationStep(60, StepAction.PENALIZE, 0),
        EscalationStep(60, StepAction.REMIND),
    )
    found = {(error.field, error.code): dict(error.params) for error in ladder_errors(steps)}
    assert found == {
        ("escalation[0].after_s", "seconds_range"): {"min": 1, "max": MAX_PERIOD_S},
        ("escalation[1].amount", "penalty_amount"): {},
        ("escalation", "ladder_revoke_last"): {},
    }
    assert [e.code for e in ladder_errors(())] == ["ladder_empty"]
    reminders = [EscalationStep(60, StepAction.REMIND)] * MAX_STEPS
    too_long = (*reminders, EscalationStep(60, StepAction.REVOKE))
    assert [(e.code, dict(e.params)) for e in ladder_errors(too_long)] == [
        ("too_many_steps", {"max": MAX_STEPS})
    ]
