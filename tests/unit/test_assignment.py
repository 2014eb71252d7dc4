"""Choosing the installer (S201, [0070]-[0071]): eligibility first, then the policy's ranking."""

from __future__ import annotations

import dataclasses

import pytest

from dispatchd.domain.assignment import (
    Candidate,
    OrderNeeds,
    Ranking,
    choose_installer,
    rank,
)
from dispatchd.domain.errors import InvalidInput
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.geo import Point
from tests.unit.builders import at, ladder_of, offered_order

ORDER_AT = Point(31.2300, 121.4700)
NEAR = Point(31.2310, 121.4710)  # about 150 m away
MIDDLE = Point(31.2400, 121.4800)  # about 1.5 km away
FAR = Point(31.3000, 121.5500)  # about 11 km away

NEEDS = OrderNeeds(
    location=ORDER_AT,
    zone_ids=frozenset({"zon_centre"}),
    skills=frozenset(),
    excluded=frozenset(),
)


def installer(
    installer_id: str,
    location: Point | None = NEAR,
    *,
    on_duty: bool = True,
    zone_ids: frozenset[str] = frozenset({"zon_centre"}),
    active_jobs: int = 0,
    capacity: int = 3,
    skills: frozenset[str] = frozenset(),
    rating: float | None = None,
) -> Candidate:
    """A candidate who is eligible unless told otherwise."""
    return Candidate(
        installer_id, on_duty, zone_ids, active_jobs, capacity, skills, location, rating
    )


def test_the_nearest_eligible_installer_is_chosen() -> None:
    candidates = [
        installer("ins_far", FAR),
        installer("ins_near", NEAR),
        installer("ins_mid", MIDDLE),
    ]
    assert choose_installer(NEEDS, candidates) == "ins_near"


def test_an_off_duty_installer_is_skipped_however_near() -> None:
    candidates = [installer("ins_near", NEAR, on_duty=False), installer("ins_far", FAR)]
    assert choose_installer(NEEDS, candidates) == "ins_far"


def test_an_installer_outside_the_orders_zones_is_skipped() -> None:
    candidates = [
        installer("ins_near", NEAR, zone_ids=frozenset({"zon_east"})),
        installer("ins_far", FAR),
    ]
    assert choose_installer(NEEDS, candidates) == "ins_far"


def test_an_installer_serving_one_of_several_zones_is_eligible() -> None:
    candidates = [installer("ins_near", NEAR, zone_ids=frozenset({"zon_east", "zon_centre"}))]
    assert choose_installer(NEEDS, candidates) == "ins_near"


def test_an_installer_at_capacity_is_skipped() -> None:
    candidates = [
        installer("ins_near", NEAR, active_jobs=3, capacity=3),
        installer("ins_far", FAR, active_jobs=2, capacity=3),
    ]
    assert choose_installer(NEEDS, candidates) == "ins_far"


def test_an_installer_with_no_capacity_is_never_chosen() -> None:
    assert choose_installer(NEEDS, [installer("ins_near", NEAR, capacity=0)]) is None


def test_an_installer_lacking_a_needed_skill_is_skipped() -> None:
    needs = dataclasses.replace(NEEDS, skills=frozenset({"gas", "electric"}))
    candidates = [
        installer("ins_near", NEAR, skills=frozenset({"gas"})),
        installer("ins_far", FAR, skills=frozenset({"gas", "electric", "plumbing"})),
    ]
    assert choose_installer(needs, candidates) == "ins_far"


@pytest.mark.parametrize("how", ["declined", "revoked"])
def test_an_installer_who_let_the_order_lapse_is_skipped(how: str) -> None:
    order = offered_order(ladder_of(StepAction.REVOKE), installer_id="ins_near")
    if how == "declined":
        order.decline_offer("ofr_1", at(30), "too far")
    else:
        order.escalate("ofr_1", 0, at(600))
    needs = dataclasses.replace(NEEDS, excluded=order.excluded_installers)
    candidates = [installer("ins_near", NEAR), installer("ins_far", FAR)]
    assert choose_installer(needs, candidates) == "ins_far"


def test_an_installer_whose_offer_was_withdrawn_may_be_chosen_again() -> None:
    order = offered_order(installer_id="ins_near")
    order.withdraw_offer(at(30), "reassigned by mgr")
    needs = dataclasses.replace(NEEDS, excluded=order.excluded_installers)
    candidates = [installer("ins_near", NEAR), installer("ins_far", FAR)]
    assert choose_installer(needs, candidates) == "ins_near"


def test_nobody_is_chosen_when_nobody_is_eligible() -> None:
    candidates = [installer("ins_off", on_duty=False), installer("ins_full", active_jobs=3)]
    assert choose_installer(NEEDS, candidates) is None
    assert choose_installer(NEEDS, []) is None


def test_a_tie_on_distance_goes_to_the_lighter_workload() -> None:
    candidates = [
        installer("ins_a_busy", MIDDLE, active_jobs=2),
        installer("ins_b_idle", MIDDLE, active_jobs=0),
        installer("ins_c_some", MIDDLE, active_jobs=1),
    ]
    assert choose_installer(NEEDS, candidates) == "ins_b_idle"


def test_nearness_beats_a_lighter_workload() -> None:
    candidates = [
        installer("ins_idle", FAR, active_jobs=0),
        installer("ins_busy", NEAR, active_jobs=2),
    ]
    assert choose_installer(NEEDS, candidates) == "ins_busy"


def test_a_full_tie_is_broken_by_id_whatever_the_input_order() -> None:
    first = [installer("ins_b", MIDDLE), installer("ins_a", MIDDLE)]
    assert choose_installer(NEEDS, first) == "ins_a"
    assert choose_installer(NEEDS, list(reversed(first))) == "ins_a"


def test_installers_without_a_known_location_rank_after_located_ones() -> None:
    candidates = [installer("ins_a_nowhere", None), installer("ins_z_far", FAR)]
    assert choose_installer(NEEDS, candidates) == "ins_z_far"
    assert [r.installer_id for r in rank(NEEDS, candidates)] == ["ins_z_far", "ins_a_nowhere"]


def test_an_installer_without_a_known_location_is_chosen_when_alone() -> None:
    assert choose_installer(NEEDS, [installer("ins_nowhere", None)]) == "ins_nowhere"


def test_unlocated_installers_are_ordered_by_workload() -> None:
    candidates = [installer("ins_a", None, active_jobs=2), installer("ins_b", None, active_jobs=1)]
    assert choose_installer(NEEDS, candidates) == "ins_b"


def test_rank_lists_the_eligible_first_with_reasons_for_the_others() -> None:
    needs = dataclasses.replace(
        NEEDS, skills=frozenset({"gas"}), excluded=frozenset({"ins_lapsed"})
    )
    gas = frozenset({"gas"})
    candidates = [
        installer("ins_off", NEAR, on_duty=False, skills=gas),
        installer("ins_east", NEAR, zone_ids=frozenset({"zon_east"}), skills=gas),
        installer("ins_full", NEAR, active_jobs=3, skills=gas),
        installer("ins_unskilled", NEAR),
        installer("ins_lapsed", NEAR, skills=gas),
        installer("ins_far", FAR, skills=gas),
        installer("ins_mid", MIDDLE, skills=gas),
        installer("ins_nowhere", None, skills=gas),
    ]
    ranked = rank(needs, candidates)
    assert [r.installer_id for r in ranked if r.eligible] == ["ins_mid", "ins_far", "ins_nowhere"]
    assert [r.eligible for r in ranked] == [True] * 3 + [False] * 5
    reasons = {r.installer_id: r.why_not for r in ranked}
    assert reasons["ins_mid"] == ()
    assert reasons["ins_nowhere"] == ()
    assert reasons["ins_off"] == ("off duty",)
    assert reasons["ins_east"] == ("outside their zones",)
    assert reasons["ins_full"] == ("at capacity",)
    assert reasons["ins_unskilled"] == ("lacks skills: gas",)
    assert reasons["ins_lapsed"] == ("already let this order lapse or declined it",)


def test_rank_gives_every_reason_an_installer_is_not_eligible() -> None:
    needs = dataclasses.replace(
        NEEDS, skills=frozenset({"gas", "electric"}), excluded=frozenset({"ins_x"})
    )
    candidate = installer(
        "ins_x", NEAR, on_duty=False, zone_ids=frozenset(), active_jobs=1, capacity=1
    )
    (ranked,) = rank(needs, [candidate])
    assert not ranked.eligible
    assert ranked.why_not == (
        "off duty",
        "outside their zones",
        "at capacity",
        "lacks skills: electric, gas",
        "already let this order lapse or declined it",
    )


def test_rank_reports_distances_in_metres_and_none_when_unknown() -> None:
    ranked = {
        r.installer_id: r
        for r in rank(NEEDS, [installer("ins_mid", MIDDLE), installer("ins_x", None)])
    }
    assert ranked["ins_x"].distance_m is None
    distance = ranked["ins_mid"].distance_m
    assert distance is not None
    assert 1_000 < distance < 2_000


def test_the_chosen_installer_is_the_first_eligible_of_the_ranking() -> None:
    candidates = [
        installer("ins_a", MIDDLE, active_jobs=1),
        installer("ins_b", MIDDLE, active_jobs=0, on_duty=False),
        installer("ins_c", FAR),
        installer("ins_d", None),
        installer("ins_e", MIDDLE, active_jobs=1, capacity=1),
    ]
    first_eligible = next(r.installer_id for r in rank(NEEDS, candidates) if r.eligible)
    assert choose_installer(NEEDS, candidates) == first_eligible == "ins_a"


def test_by_default_a_job_more_weighs_two_kilometres() -> None:
    # NEAR is ~0.15 km with 2 jobs (score ~4.15); MIDDLE ~1.5 km idle (score ~1.5).
    candidates = [installer("ins_busy", NEAR, active_jobs=2), installer("ins_idle", MIDDLE)]
    assert choose_installer(NEEDS, candidates) == "ins_idle"


def test_a_workload_weight_of_zero_offers_the_nearest_however_busy() -> None:
    candidates = [installer("ins_busy", NEAR, active_jobs=2), installer("ins_idle", MIDDLE)]
    ranking = Ranking(distance_km=1.0, active_jobs=0.0, rating=0.0)
    assert choose_installer(NEEDS, candidates, ranking) == "ins_busy"


def test_a_distance_weight_of_zero_offers_the_least_loaded_however_far() -> None:
    candidates = [installer("ins_near", NEAR, active_jobs=1), installer("ins_far", FAR)]
    ranking = Ranking(distance_km=0.0, active_jobs=1.0, rating=0.0)
    assert choose_installer(NEEDS, candidates, ranking) == "ins_far"


def test_a_better_rating_outweighs_a_little_distance() -> None:
    candidates = [
        installer("ins_near_poor", NEAR, rating=2.0),
        installer("ins_mid_loved", MIDDLE, rating=5.0),
    ]
    assert choose_installer(NEEDS, candidates, Ranking(rating=1.0)) == "ins_mid_loved"
    assert choose_installer(NEEDS, candidates, Ranking(rating=0.0)) == "ins_near_poor"


def test_an_installer_without_a_rating_counts_as_three_stars() -> None:
    (unrated,) = rank(NEEDS, [installer("ins_new", MIDDLE)], Ranking(rating=10.0))
    (average,) = rank(NEEDS, [installer("ins_avg", MIDDLE, rating=3.0)], Ranking(rating=10.0))
    assert unrated.terms.rating == average.terms.rating == 0.0


def test_the_ranking_reports_each_weighted_term_of_the_score() -> None:
    (ranked,) = rank(
        NEEDS,
        [installer("ins_a", MIDDLE, active_jobs=2, rating=4.5)],
        Ranking(distance_km=2.0, active_jobs=3.0, rating=4.0),
    )
    assert ranked.distance_m is not None
    assert ranked.terms.distance == pytest.approx(ranked.distance_m / 1000 * 2.0)
    assert ranked.terms.workload == 6.0
    assert ranked.terms.rating == -6.0
    assert ranked.score == pytest.approx(ranked.terms.distance + 6.0 - 6.0)


def test_the_best_possible_score_bounds_everyone_farther_away() -> None:
    ranking = Ranking(distance_km=1.5, active_jobs=2.0, rating=1.0)
    farther = installer("ins_far", FAR, rating=5.0)
    (ranked,) = rank(NEEDS, [farther], ranking)
    assert ranked.distance_m is not None
    assert ranking.best_possible(ranked.distance_m / 1000) == pytest.approx(ranked.score)


@pytest.mark.parametrize("weight", [-0.5, 1000.5])
def test_a_weight_out_of_range_is_refused_naming_it(weight: float) -> None:
    with pytest.raises(InvalidInput) as refused:
        Ranking(active_jobs=weight)
    assert [e.field for e in refused.value.errors] == ["ranking.active_jobs"]
