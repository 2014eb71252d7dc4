"""The in-memory installer map finds exactly what a brute-force scan finds, only faster."""

from __future__ import annotations

import math
import random

import pytest

from dispatchd.domain.geo import Point, distance_m
from dispatchd.service.geo_index import IndexedInstaller, InstallerIndex

EVERYWHERE = frozenset({"z"})
NONE: frozenset[str] = frozenset()


def _installer(n: int, where: Point | None, zones: frozenset[str] = EVERYWHERE) -> IndexedInstaller:
    return IndexedInstaller(f"i{n}", where, zones, frozenset())


@pytest.mark.parametrize("seed", range(5))
def test_the_nearest_found_is_the_nearest_a_scan_finds(seed: int) -> None:
    rng = random.Random(seed)
    entries = [
        IndexedInstaller(
            f"i{n}",
            Point(31 + rng.random() * 0.5, 121 + rng.random() * 0.5),
            frozenset({rng.choice("ab")}),
            frozenset({"gas"}) if rng.random() < 0.3 else frozenset(),
        )
        for n in range(2000)
    ]
    index = InstallerIndex()
    index.replace_all(entries)
    for _ in range(50):
        where = Point(31 + rng.random() * 0.5, 121 + rng.random() * 0.5)
        zones = frozenset({rng.choice("ab")})
        skills = frozenset({"gas"}) if rng.random() < 0.5 else NONE
        excluded = frozenset(rng.sample([e.installer_id for e in entries], 20))
        found = index.nearest(where, zones, skills, excluded, 5)
        expected = sorted(
            (distance_m(where, e.location), e.installer_id)
            for e in entries
            if e.location
            and e.zone_ids & zones
            and skills <= e.skills
            and e.installer_id not in excluded
        )[:5]
        assert [i for _, i in found] == [i for _, i in expected]


def test_installers_without_a_position_come_last() -> None:
    index = InstallerIndex()
    index.put(_installer(1, None))
    index.put(_installer(2, Point(31.2, 121.4)))
    found = index.nearest(Point(31.0, 121.0), EVERYWHERE, NONE, NONE, 5)
    assert [i for _, i in found] == ["i2", "i1"]
    assert math.isinf(found[1][0])


def test_a_moved_installer_is_found_at_the_new_place_only() -> None:
    index = InstallerIndex()
    index.put(_installer(1, Point(31.0, 121.0)))
    index.put(_installer(2, Point(31.5, 121.5)))
    index.put(_installer(1, Point(31.6, 121.6)))
    assert len(index) == 2
    nearest = index.nearest(Point(31.0, 121.0), EVERYWHERE, NONE, NONE, 1)
    assert [i for _, i in nearest] == ["i2"]


def test_a_discarded_installer_is_gone() -> None:
    index = InstallerIndex()
    index.put(_installer(1, Point(31.0, 121.0)))
    index.discard("i1")
    index.discard("i1")
    assert index.nearest(Point(31.0, 121.0), EVERYWHERE, NONE, NONE, 1) == []


def test_installers_of_other_zones_are_not_proposed() -> None:
    index = InstallerIndex()
    index.put(_installer(1, Point(31.0, 121.0), frozenset({"north"})))
    index.put(_installer(2, Point(31.9, 121.9), frozenset({"south"})))
    found = index.nearest(Point(31.0, 121.0), frozenset({"south"}), NONE, NONE, 3)
    assert [i for _, i in found] == ["i2"]


def test_a_sparse_map_far_from_the_order_is_still_searched_to_the_end() -> None:
    index = InstallerIndex()
    index.put(_installer(1, Point(45.0, 90.0)))
    found = index.nearest(Point(20.0, 120.0), EVERYWHERE, NONE, NONE, 1)
    assert [i for _, i in found] == ["i1"]
