"""Great-circle distances against distances known independently of the code."""

from __future__ import annotations

import math

import pytest

from dispatchd.domain.geo import Point, distance_m

NASHVILLE_BNA = Point(36.12, -86.67)
LOS_ANGELES_LAX = Point(33.94, -118.40)


def _within(actual: float, expected: float, tolerance: float = 0.005) -> bool:
    return abs(actual - expected) <= tolerance * expected


def test_nashville_to_los_angeles_is_about_2887_km() -> None:
    distance = distance_m(NASHVILLE_BNA, LOS_ANGELES_LAX)
    assert _within(distance, 2_887_260), distance


def test_a_quarter_of_the_equator_is_about_10019_km() -> None:
    distance = distance_m(Point(0.0, 0.0), Point(0.0, 90.0))
    assert _within(distance, 10_018_754), distance


def test_the_equator_to_the_pole_is_about_10002_km() -> None:
    distance = distance_m(Point(0.0, 30.0), Point(90.0, 30.0))
    assert _within(distance, 10_001_966), distance


def test_one_thousandth_of_a_degree_of_latitude_is_about_111_m() -> None:
    distance = distance_m(Point(31.230, 121.47), Point(31.231, 121.47))
    assert _within(distance, 110.9), distance


def test_the_distance_from_a_point_to_itself_is_zero() -> None:
    assert distance_m(NASHVILLE_BNA, NASHVILLE_BNA) == 0.0


def test_distance_is_symmetric() -> None:
    there = distance_m(NASHVILLE_BNA, LOS_ANGELES_LAX)
    back = distance_m(LOS_ANGELES_LAX, NASHVILLE_BNA)
    assert there == pytest.approx(back, rel=1e-12)


def test_antipodes_are_half_the_earth_apart_without_a_math_domain_error() -> None:
    distance = distance_m(Point(31.23, 121.47), Point(-31.23, 121.47 - 180.0))
    assert _within(distance, math.pi * 6_371_008.8, 1e-9), distance
