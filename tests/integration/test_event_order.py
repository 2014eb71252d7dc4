"""Event ids on PostgreSQL: given by publication, so tailing ``id > last`` never skips an event.

Commands queue their events without any shared lock; a publication round numbers the committed
ones. A transaction left open holds back nobody's events but its own, and its events, once
committed, come after everything published meanwhile — a reader that resumed from the last id
it saw still gets them.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, text

from dispatchd.engine.broadcast import EventHub
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.group_publication import GroupPublisher
from dispatchd.store import tables as t
from dispatchd.store.database import Database
from dispatchd.store.event_log import EVERYONE, EventLog, write_events
from dispatchd.store.event_publication import publication_round
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock

pytestmark = pytest.mark.postgresql

WRITERS = 6
TRANSACTIONS_PER_WRITER = 40


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    found = Database(postgres_url, pool_size=WRITERS + 2)
    yield found
    found.dispose()


def event_row(name: str, order_id: str = "ord_x") -> dict[str, Any]:
    return {
        "name": name,
        "order_id": order_id,
        "installer_id": None,
        "zone_id": None,
        "data": {},
        "at": datetime(2026, 11, 25, tzinfo=UTC),
    }


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


def logged_after(database: Database, last_id: int) -> list[tuple[int, str]]:
    with database.read() as conn:
        return [(e.id, e.name) for e in EventLog(conn).after(last_id, EVERYONE, limit=100_000)]


def queued(database: Database) -> int:
    with database.read() as conn:
        return EventLog(conn).unpublished()


def test_an_open_transaction_holds_back_only_its_own_events_which_then_follow_the_others(
    database: Database,
) -> None:
    with database.write() as held:
        write_events(held, [event_row("a1"), event_row("a2")])
        with database.write() as other:
            write_events(other, [event_row("b1"), event_row("b2")])
        assert publication_round(database) == 2
        seen_while_a_is_open = logged_after(database, 0)
        assert [name for _, name in seen_while_a_is_open] == ["b1", "b2"]
    resumed_from = seen_while_a_is_open[-1][0]
    assert logged_after(database, resumed_from) == []
    assert publication_round(database) == 2
    resumed = logged_after(database, resumed_from)
    assert [name for _, name in resumed] == ["a1", "a2"]
    assert [event_id for event_id, _ in resumed] == [resumed_from + 1, resumed_from + 2]
    assert queued(database) == 0


def test_a_transaction_that_waited_for_another_ones_row_lock_is_published_after_it(
    database: Database,
) -> None:
    with database.write() as conn:
        conn.execute(t.auth_generation.update().values(generation=0))
    first_queued = threading.Event()
    let_first_commit = threading.Event()

    def bump(conn: Connection) -> None:
        conn.execute(
            t.auth_generation.update().values(generation=t.auth_generation.c.generation + 1)
        )

    def first() -> None:
        with database.write() as conn:
            bump(conn)
            write_events(conn, [event_row("first")])
            first_queued.set()
            let_first_commit.wait(10)

    def second() -> None:
        with database.write() as conn:
            bump(conn)
            write_events(conn, [event_row("second")])

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_queued.wait(10)
    threads[1].start()
    wait_until(lambda: _waiting_for_a_row_lock(database))
    let_first_commit.set()
    for thread in threads:
        thread.join(10)
    assert publication_round(database) == 2
    assert [name for _, name in logged_after(database, 0)] == ["first", "second"]


def _waiting_for_a_row_lock(database: Database) -> bool:
    with database.read() as conn:
        waiting = conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted")
        ).scalar_one()
    return bool(waiting)


def test_a_process_of_the_previous_release_numbering_under_the_old_lock_follows_published_ids(
    database: Database,
) -> None:
    with database.write() as conn:
        write_events(conn, [event_row("queued.1"), event_row("queued.2")])
    publication_round(database)
    with database.write() as conn:
        advisory_xact_lock(conn, AdvisoryLock.EVENT_APPEND)
        conn.execute(t.events.insert().values(event_row("written.the.old.way")))
    with database.write() as conn:
        write_events(conn, [event_row("queued.3")])
    publication_round(database)
    assert logged_after(database, 0) == [
        (1, "queued.1"),
        (2, "queued.2"),
        (3, "written.the.old.way"),
        (4, "queued.3"),
    ]


@pytest.mark.parametrize("store", ["postgresql"])
def test_events_a_crashed_process_committed_but_never_published_are_published_once_by_the_pump(
    dispatcher: Dispatcher,
) -> None:
    database = dispatcher.database
    before = logged_after(database, 0)
    with database.write() as conn:
        write_events(conn, [event_row("left.behind.1"), event_row("left.behind.2")])
    assert queued(database) == 2
    assert logged_after(database, 0) == before

    _start_and_stop(EventHub(dispatcher))
    _start_and_stop(EventHub(dispatcher))
    dispatcher.publish_events()

    names = [name for _, name in logged_after(database, 0)]
    assert names.count("left.behind.1") == 1
    assert names.count("left.behind.2") == 1
    assert names[-2:] == ["left.behind.1", "left.behind.2"]
    assert queued(database) == 0


def _start_and_stop(hub: EventHub) -> None:
    """Start the pump and stop it, on an event loop of its own thread.

    The browser tests' Playwright keeps a loop running on the main thread for the whole
    session, so ``asyncio.run`` there would refuse.
    """

    async def start_and_stop() -> None:
        await hub.start()
        await hub.stop()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, start_and_stop()).result()


def test_committers_arriving_during_a_round_are_all_served_by_the_next_one() -> None:
    first_round_running = threading.Event()
    finish_first_round = threading.Event()
    rounds: list[int] = []

    def publish_round() -> int:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 1:
            first_round_running.set()
            finish_first_round.wait(10)
        return 0

    publisher = GroupPublisher(publish_round)
    opener = threading.Thread(target=publisher.publish)
    opener.start()
    assert first_round_running.wait(10)
    late = [threading.Thread(target=publisher.publish) for _ in range(5)]
    for thread in late:
        thread.start()
    wait_until(lambda: publisher.waiting == len(late))
    finish_first_round.set()
    for thread in [opener, *late]:
        thread.join(10)
    assert rounds == [1, 2]


def test_a_failed_round_is_not_the_committers_failure_and_the_next_round_publishes() -> None:
    calls: list[str] = []

    def publish_round() -> int:
        calls.append("round")
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        return 1

    publisher = GroupPublisher(publish_round)
    publisher.publish()
    publisher.publish()
    assert calls == ["round", "round"]
    assert publisher.failures == 1


def test_a_reader_tailing_the_log_misses_nothing_while_many_writers_commit_and_publish(
    database: Database,
) -> None:
    seen: list[int] = []
    writers_done = threading.Event()

    def writer(number: int) -> None:
        pause = random.Random(number)
        for index in range(TRANSACTIONS_PER_WRITER):
            with database.write() as conn:
                write_events(conn, [event_row(f"w{number}-{index}-a"), event_row("b")])
                time.sleep(pause.random() / 500)
            if index % 3 != 2:
                publication_round(database)

    def reader() -> None:
        last = 0
        while True:
            finished = writers_done.is_set()
            with database.read() as conn:
                batch = EventLog(conn).after(last, EVERYONE, limit=1000)
            for event in batch:
                seen.append(event.id)
                last = event.id
            if finished and not batch:
                return

    tail = threading.Thread(target=reader)
    tail.start()
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    publication_round(database)
    writers_done.set()
    tail.join(60)
    assert seen == [event_id for event_id, _ in logged_after(database, 0)]
    assert seen == list(range(1, WRITERS * TRANSACTIONS_PER_WRITER * 2 + 1))
