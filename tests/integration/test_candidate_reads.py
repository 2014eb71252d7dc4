"""Candidates for an order are read once each, in one statement, and weighed as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from dispatchd.domain.assignment import DEFAULT_RANKING, OrderNeeds, choose_installer
from dispatchd.domain.geo import Point
from dispatchd.service.actors import SYSTEM, Actor, Role
from dispatchd.service.commands import (
    CreateInstaller,
    CreateOrder,
    CreateZone,
    ReportLocation,
    SetDuty,
)
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.positions import Position, Positions
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store import tables as t
from dispatchd.store.installers import InstallerRepository
from tests.helpers import CENTRE, EAST

INSTALLERS = 12


def _busy_city(dispatcher: Dispatcher) -> tuple[str, list[str]]:
    """A zone whose installers stand on a line, each offered a few jobs already."""
    zone = dispatcher.execute(CreateZone("Centre", CENTRE), SYSTEM)
    ids = []
    for n in range(INSTALLERS):
        record = dispatcher.execute(
            CreateInstaller(
                f"Installer {n}", f"+86138000000{n:02d}", (zone.id,), 50, (), f"i{n}", "pw" * 6
            ),
            SYSTEM,
        )
        actor = Actor(f"usr_{record.id}", Role.INSTALLER, installer_id=record.id)
        dispatcher.execute(ReportLocation(record.id, Point(31.16 + n * 0.01, 121.47)), actor)
        dispatcher.execute(SetDuty(record.id, True), actor)
        ids.append(record.id)
    for n in range(3 * INSTALLERS):
        where = Point(31.16 + (n % INSTALLERS) * 0.01, 121.471)
        dispatcher.execute(CreateOrder("Li Lei", "+8613912345678", "1 Road", where, "AC"), SYSTEM)
    return zone.id, ids


def _rate_first_job(dispatcher: Dispatcher, installer_id: str, stars: int) -> None:
    with dispatcher.database.write() as conn:
        order_id = conn.execute(
            t.offers.select().where(t.offers.c.installer_id == installer_id)
        ).first()
        assert order_id is not None
        conn.execute(
            update(t.orders)
            .where(t.orders.c.id == order_id.order_id)
            .values(installer_id=installer_id, status="completed", rating_stars=stars)
        )


def test_a_candidate_read_in_one_statement_has_the_workload_and_rating_counted_apart(
    dispatcher: Dispatcher,
) -> None:
    _, ids = _busy_city(dispatcher)
    _rate_first_job(dispatcher, ids[0], 4)
    _rate_first_job(dispatcher, ids[1], 2)
    with dispatcher.reading() as conn:
        installers = UnitOfWork(conn).installers
        candidates = installers.candidates_by_id(list(reversed(ids)))
        workload = installers.active_jobs(ids)
        ratings = installers.average_ratings(ids)
        records = {record.id: record for record in installers.by_ids(ids)}
    assert [c.installer_id for c in candidates] == list(reversed(ids))
    for candidate in candidates:
        record = records[candidate.installer_id]
        assert candidate == record.as_candidate(
            workload[candidate.installer_id], ratings.get(candidate.installer_id)
        )
    assert {c.installer_id: c.rating for c in candidates if c.rating} == {ids[0]: 4.0, ids[1]: 2.0}
    assert all(c.active_jobs > 0 for c in candidates)


def test_a_widening_search_verifies_each_installer_once_and_chooses_as_over_everyone(
    dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone_id, ids = _busy_city(dispatcher)
    asked: list[list[str]] = []
    original = InstallerRepository.candidates_by_id

    def counting(self: InstallerRepository, installer_ids: list[str], *args: Any) -> Any:
        asked.append(list(installer_ids))
        return original(self, installer_ids, *args)

    monkeypatch.setattr(InstallerRepository, "candidates_by_id", counting)
    needs = OrderNeeds(Point(31.16, 121.47), frozenset({zone_id}), frozenset(), frozenset())
    ctx = dispatcher.context(SYSTEM)
    with dispatcher.reading() as conn:
        uow = UnitOfWork(conn)
        found = ctx.installer_map.candidates(uow, needs, ctx.now)
        everyone = original(uow.installers, ids)
    verified = [i for round_ids in asked for i in round_ids]
    assert len(asked) > 1, "the busy nearest installers make the search widen"
    assert len(verified) == len(set(verified))
    assert choose_installer(needs, found, DEFAULT_RANKING) == choose_installer(
        needs, everyone, DEFAULT_RANKING
    )


def test_a_candidate_carries_every_zone_and_skill_and_the_newest_unsaved_position(
    dispatcher: Dispatcher,
) -> None:
    centre = dispatcher.execute(CreateZone("Centre", CENTRE), SYSTEM)
    east = dispatcher.execute(CreateZone("East", EAST), SYSTEM)
    record = dispatcher.execute(
        CreateInstaller(
            "Zhao Min", "+8613800000077", (centre.id, east.id), 3, ("gas", "ladder"), "zm", "pw" * 6
        ),
        SYSTEM,
    )
    actor = Actor(f"usr_{record.id}", Role.INSTALLER, installer_id=record.id)
    dispatcher.execute(ReportLocation(record.id, Point(31.2, 121.4)), actor)
    dispatcher.execute(SetDuty(record.id, True), actor)
    ctx = dispatcher.context(SYSTEM)
    dispatcher.positions.take(
        record.id, Position(Point(31.25, 121.5), ctx.now + timedelta(seconds=5))
    )
    with dispatcher.reading() as conn:
        installers = UnitOfWork(conn).installers
        stored, *_ = installers.candidates_by_id([record.id, "ins_unknown"])
        fresh, *_ = installers.candidates_by_id([record.id], dispatcher.positions.locate)
    assert stored.zone_ids == frozenset({centre.id, east.id})
    assert stored.skills == frozenset({"gas", "ladder"})
    assert (stored.on_duty, stored.capacity, stored.active_jobs, stored.rating) == (
        True,
        3,
        0,
        None,
    )
    assert stored.location == Point(31.2, 121.4)
    assert fresh.location == Point(31.25, 121.5)


def test_a_position_older_than_the_stored_one_does_not_place_the_candidate(
    dispatcher: Dispatcher,
) -> None:
    zone = dispatcher.execute(CreateZone("Centre", CENTRE), SYSTEM)
    record = dispatcher.execute(
        CreateInstaller("Qian Li", "+8613800000078", (zone.id,), 3, (), "ql", "pw" * 6), SYSTEM
    )
    actor = Actor(f"usr_{record.id}", Role.INSTALLER, installer_id=record.id)
    dispatcher.execute(ReportLocation(record.id, Point(31.2, 121.4)), actor)
    positions = Positions()
    positions.take(record.id, Position(Point(31.3, 121.6), datetime(2020, 1, 1, tzinfo=UTC)))
    with dispatcher.reading() as conn:
        (candidate,) = UnitOfWork(conn).installers.candidates_by_id([record.id], positions.locate)
    assert candidate.location == Point(31.2, 121.4)
    newest = positions.newest(record.id)
    assert newest is not None
    assert newest.location == Point(31.2, 121.4), "the stored fix is learnt as the newest"
