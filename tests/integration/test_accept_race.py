"""Accepts racing the revoke: however many arrive at once, exactly one party wins.

Twenty taps on "accept" (a phone retrying, the installer tapping twice, two of their
devices) arrive together with the engine's revoke of the same offer. Either one accept wins
and every other gets a conflict, or the revoke wins and every accept gets a conflict — on
SQLite, where writers take turns, and on PostgreSQL, where they truly run at once.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from dispatchd.domain.errors import IllegalTransition
from dispatchd.domain.escalation import EscalationStep, Ladder, Policy, StepAction
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from dispatchd.service.commands import AcceptOffer
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store import tables as t
from tests.service_city import OneInstallerCity, one_installer_city

ACCEPTS = 20
ROUNDS = 40
FULL_ROUNDS = 1_000
REVOKE_AFTER_A_MINUTE = Policy(
    Ladder((EscalationStep(60, StepAction.REVOKE),)), max_auto_attempts=1, promises={}
)


def race_once(
    city: OneInstallerCity, engine: DeadlineEngine, clock: FakeClock, shuffle: random.Random
) -> list[str]:
    """Send one offer, let its revoke fall due, then fire 20 accepts and the engine at once.

    The threads start in a shuffled order: the last to reach the barrier tends to run first.
    """
    offer = city.order().current_offer
    assert offer is not None
    clock.set(offer.sent_at + timedelta(seconds=60))
    start = threading.Barrier(ACCEPTS + 1)
    results: list[str] = []

    def accept() -> None:
        start.wait()
        try:
            city.dispatcher.execute(AcceptOffer(offer.id), city.installer)
            results.append("accepted")
        except IllegalTransition:
            results.append("conflict")
        except Exception as exc:
            results.append(f"error: {exc!r}")

    def revoke() -> None:
        start.wait()
        results.append("revoked" if engine.run_due() else "revoke found nothing to do")

    threads = [threading.Thread(target=accept) for _ in range(ACCEPTS)]
    threads.append(threading.Thread(target=revoke))
    shuffle.shuffle(threads)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with city.dispatcher.reading() as conn:
        status = conn.execute(
            select(t.offers.c.status).where(t.offers.c.id == offer.id)
        ).scalar_one()
    return [*results, f"offer {status}"]


def test_twenty_accepts_racing_the_revoke_have_exactly_one_winner_every_time(
    dispatcher: Dispatcher, clock: FakeClock, request: pytest.FixtureRequest
) -> None:
    rounds = FULL_ROUNDS if request.config.getoption("--chaos-full") else ROUNDS
    city = one_installer_city(dispatcher, REVOKE_AFTER_A_MINUTE)
    engine = DeadlineEngine(dispatcher)
    accept_won = {"accepted": 1, "conflict": ACCEPTS - 1, "revoke found nothing to do": 1}
    revoke_won = {"revoked": 1, "conflict": ACCEPTS}
    tally: Counter[str] = Counter()
    shuffle = random.Random(4)

    for _ in range(rounds):
        outcome = Counter(race_once(city, engine, clock, shuffle))
        if outcome.pop("offer accepted", 0):
            assert outcome == accept_won
            tally["accept won"] += 1
        else:
            assert outcome.pop("offer revoked") == 1
            assert outcome == revoke_won
            tally["revoke won"] += 1

    assert sum(tally.values()) == rounds
    request.node.user_properties.append(("winners", dict(tally)))
