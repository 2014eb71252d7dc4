"""An accept racing the revoke: exactly one wins, the loser gets a conflict."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from dispatchd.domain.errors import IllegalTransition
from dispatchd.domain.geo import Point
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.actors import SYSTEM, Actor, Role
from dispatchd.service.clock import FakeClock
from dispatchd.service.commands import (
    AcceptOffer,
    CreateInstaller,
    CreateOrder,
    CreateZone,
    ReportLocation,
    SetDuty,
    SetPolicy,
)
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.domain.escalation import EscalationStep, Ladder, Policy, StepAction
from dispatchd.store import tables as t
from tests.helpers import CENTRE

ROUNDS = 60


def test_an_accept_racing_the_revoke_has_exactly_one_winner_every_time(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    revoke_at_once = Policy(Ladder((EscalationStep(60, StepAction.REVOKE),)), max_auto_attempts=100)
    dispatcher.execute(SetPolicy(revoke_at_once), SYSTEM)
    zone = dispatcher.execute(CreateZone("Centre", CENTRE), SYSTEM)
    installer = dispatcher.execute(
        CreateInstaller("Racer", "+8613800138000", (zone.id,), 100, (), "racer", "racer-password"),
        SYSTEM,
    )
    me = Actor("racer", Role.INSTALLER, installer_id=installer.id)
    dispatcher.execute(ReportLocation(installer.id, Point(31.23, 121.47)), me)
    dispatcher.execute(SetDuty(installer.id, True), me)
    engine = DeadlineEngine(dispatcher)

    outcomes = []
    for _ in range(ROUNDS):
        order = dispatcher.execute(
            CreateOrder("Li", "+8613912345678", "x", Point(31.23, 121.47), "AC"), SYSTEM
        )
        offer = order.current_offer
        assert offer is not None
        clock.set(offer.sent_at + timedelta(seconds=60))
        start = threading.Barrier(2)
        result: dict[str, str] = {}

        def accept(offer_id: str = offer.id) -> None:
            start.wait()
            try:
                dispatcher.execute(AcceptOffer(offer_id), me)
                result["accept"] = "won"
            except IllegalTransition:
                result["accept"] = "409"

        def revoke() -> None:
            start.wait()
            result["revoked"] = str(engine.run_due())

        threads = [threading.Thread(target=accept), threading.Thread(target=revoke)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with dispatcher.reading() as conn:
            status = conn.execute(
                select(t.offers.c.status).where(t.offers.c.id == offer.id)
            ).scalar_one()
        assert (result["accept"], status) in {("won", "accepted"), ("409", "revoked")}
        outcomes.append(result["accept"])
    assert len(outcomes) == ROUNDS
