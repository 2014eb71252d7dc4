"""Three servers on one PostgreSQL, killed at random while orders flow: nothing is lost or doubled.

Beside the servers, writers hold transactions with events open on purpose (and sometimes
commit without publishing, like a process killed in between): nobody else's events wait for
them, and every stream still gets every event once, in order.

The reduced run (CI) takes about a minute; ``pytest tests/chaos --chaos-full`` runs the full
plan (2,400 orders, 24 kills). Both restart PostgreSQL once half-way. The cluster is a
throwaway one started for the run, so restarting it disturbs nobody.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from dispatchd.store.database import normalise_url
from tests.chaos.harness import (
    CLIENTS,
    FULL,
    REDUCED,
    ChaosPlan,
    Client,
    Fleet,
    HeldWriter,
    Installer,
    LagSampler,
    Monkey,
    Shop,
    StreamWatcher,
    build_city,
    in_background,
    report,
    scalar,
    wait_until,
)
from tests.chaos.invariants import Facts, violations
from tests.postgres import ThrowawayCluster

pytestmark = [pytest.mark.chaos, pytest.mark.postgresql, pytest.mark.e2e]

logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture
def cluster() -> Iterator[ThrowawayCluster]:
    try:
        started = ThrowawayCluster({"max_connections": "300"}).start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"CHAOS TEST SKIPPED — cannot start a throwaway PostgreSQL: {exc}")
    yield started
    started.stop()


@pytest.fixture
def plan(request: pytest.FixtureRequest) -> ChaosPlan:
    return FULL if request.config.getoption("--chaos-full") else REDUCED


#: Writers that hold their transactions open on purpose, beside the servers' own.
HOLDERS = 2
OFFER_LADDERS_OR_DUE_STEPS_LEFT = (
    "SELECT count(*) FROM deadlines WHERE kind = 'offer_step'"
    " OR due_at <= extract(epoch FROM clock_timestamp()) * 1e6"
)


def test_three_servers_killed_at_random_and_a_database_restart_lose_and_double_nothing(
    cluster: ThrowawayCluster, plan: ChaosPlan, tmp_path: Path
) -> None:
    database_url = cluster.server.create_database("dispatchd")
    fleet = Fleet(plan, tmp_path, database_url)
    stop_clients = threading.Event()
    stop_installers = threading.Event()
    stop_chaos = threading.Event()
    stop_holding = threading.Event()
    try:
        started = time.monotonic()
        fleet.start()
        city = build_city(Client(fleet, plan.seed, stop_clients), plan)
        installers = [
            Installer(
                installer_id,
                headers,
                Client(fleet, plan.seed + 10 + n, stop_installers),
                plan.poll_s,
            )
            for n, (installer_id, headers) in enumerate(city.installers)
        ]
        console = StreamWatcher(fleet, city.admin, plan.seed + 2, stop_clients)
        phone = StreamWatcher(fleet, city.installers[0][1], plan.seed + 3, stop_clients)
        shop = Shop(fleet, city, plan, stop_clients)
        monkey = Monkey(fleet, cluster, plan)
        sampler = LagSampler(database_url)
        holders = [HeldWriter(database_url, plan.seed + 20 + n, str(n)) for n in range(HOLDERS)]
        workers = [in_background(i.run, f"installer-{n}") for n, i in enumerate(installers)]
        workers += [in_background(w.run, "watcher") for w in (console, phone)]
        chaos = [
            in_background(lambda: monkey.run(stop_chaos), "monkey"),
            in_background(lambda: sampler.run(stop_chaos), "lag-sampler"),
        ]
        held = [in_background(lambda h=h: h.run(stop_holding), "held-writer") for h in holders]
        shop.run()
        orders_done = time.monotonic()
        chaos[0].join()
        drain_started = time.monotonic()
        stop_installers.set()
        stop_holding.set()
        for thread in held:
            thread.join(30)
        wait_until(
            lambda: scalar(database_url, "SELECT count(*) FROM event_queue") == 0,
            30,
            "every committed event published (the servers' pumps take what no writer did)",
        )
        # Offer ladders run out; the promises of accepted jobs stay watched (not yet due).
        wait_until(
            lambda: scalar(database_url, OFFER_LADDERS_OR_DUE_STEPS_LEFT) == 0,
            60,
            "every offer ladder running out and no step left due",
        )
        wait_until(
            lambda: (
                scalar(database_url, "SELECT count(*) FROM outbox WHERE status = 'pending'") == 0
            ),
            60,
            "every SMS leaving the outbox",
        )
        last_event = scalar(database_url, "SELECT max(id) FROM events")
        phone_id = city.installers[0][0]
        phone_last = scalar(
            database_url,
            f"SELECT coalesce(max(id), 0) FROM events WHERE installer_id = '{phone_id}'",
        )
        stop_chaos.set()
        chaos[1].join(5)
        caught_up = _within(
            30, lambda: console.last_id >= last_event and phone.last_id >= phone_last
        )
        stop_clients.set()
        for worker in workers:
            worker.join(10)

        engine = create_engine(normalise_url(database_url))
        with engine.connect() as conn:
            facts = Facts.read(conn, fleet.sms_file)
        engine.dispose()
        facts.streams = {
            "console": (console.received, lambda _event: True),
            "installer": (phone.received, lambda event: event["installer_id"] == phone_id),
        }
        facts.accepts_answered_200 = set().union(*(i.answered_200 for i in installers))
        facts.worst_sampled_lag_s = sampler.worst_s
        facts.held = [record for holder in holders for record in holder.held]
        found = violations(facts)
        figures: dict[str, Any] = {
            "plan": plan.__dict__,
            "orders_created": len(shop.created),
            "orders_by_status": _count(facts.orders, "status"),
            "offers_by_status": _count(facts.offers, "status"),
            "events": len(facts.events),
            "penalties": len(facts.ledger),
            "customer_sms": len(facts.sms),
            "server_kills": monkey.kills,
            "postgres_restarts": monkey.database_restarts,
            "client_retries": shop.retries + sum(i.client.retries for i in installers),
            "installer_answers": _merge(i.answers for i in installers),
            "stream_reconnects": {"console": console.reconnects, "installer": phone.reconnects},
            "streams_caught_up": caught_up,
            "stream_errors": console.errors[-5:] + phone.errors[-5:],
            "held_transactions": len(facts.held),
            "held_transactions_failed": sum(h.errors for h in holders),
            "worst_sampled_deadline_lag_s": round(sampler.worst_s, 2),
            "worst_lag_sampled_at": sampler.worst_at,
            "lag_samples": sampler.samples,
            "orders_s": round(orders_done - started, 1),
            "run_s": round(drain_started - started, 1),
            "drain_s": round(time.monotonic() - drain_started, 1),
            "invariants_checked": len(found),
            "violations": sum(len(v) for v in found.values()),
            "violation_samples": {name: v[:5] for name, v in found.items() if v},
            "monkey": monkey.log,
        }
        report(tmp_path / "chaos-figures.json", figures)
        (tmp_path / "streams.json").write_text(
            json.dumps({"console": console.received, "installer": phone.received})
        )
        assert monkey.kills == plan.kills
        assert monkey.database_restarts == 1
        assert len(shop.created) == plan.orders
        assert {name: v[:5] for name, v in found.items() if v} == {}
    finally:
        stop_clients.set()
        stop_installers.set()
        stop_chaos.set()
        stop_holding.set()
        fleet.stop()
        for client in CLIENTS:
            client.close()
        CLIENTS.clear()


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    try:
        wait_until(condition, seconds, "catching up")
    except TimeoutError:
        return False
    return True


def _count(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[key]] = counts.get(row[key], 0) + 1
    return counts


def _merge(tallies: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for tally in tallies:
        for name, count in tally.items():
            total[name] = total.get(name, 0) + count
    return total
