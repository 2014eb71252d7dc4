"""Event ids follow commit order on PostgreSQL, so tailing ``id > last`` never skips an event.

Without that, a transaction that drew id 7 but committed after the one that drew id 8 would
be invisible to a reader that has already moved past 8, and to every SSE replay after it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from dispatchd.store.database import Database
from dispatchd.store.event_log import EVERYONE, EventLog, write_events

pytestmark = pytest.mark.postgresql

WRITERS = 6
TRANSACTIONS_PER_WRITER = 40


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    found = Database(postgres_url, pool_size=WRITERS + 2)
    yield found
    found.dispose()


def event_row(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "order_id": "ord_x",
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


def blocked_on_the_event_lock(database: Database) -> bool:
    with database.read() as conn:
        waiting = conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        ).scalar_one()
    return bool(waiting)


def everything_logged(database: Database) -> list[tuple[int, str]]:
    with database.read() as conn:
        return [(e.id, e.name) for e in EventLog(conn).after(0, EVERYONE, limit=100_000)]


def test_a_later_append_waits_until_the_earlier_one_has_committed(database: Database) -> None:
    first_inserted = threading.Event()
    let_first_commit = threading.Event()

    def first() -> None:
        with database.write() as conn:
            write_events(conn, [event_row("first")])
            first_inserted.set()
            let_first_commit.wait(10)

    def second() -> None:
        with database.write() as conn:
            write_events(conn, [event_row("second")])

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_inserted.wait(10)
    threads[1].start()
    wait_until(lambda: blocked_on_the_event_lock(database))
    assert everything_logged(database) == []
    let_first_commit.set()
    for thread in threads:
        thread.join(10)
    logged = everything_logged(database)
    assert [name for _, name in logged] == ["first", "second"]
    assert logged[0][0] < logged[1][0]


def test_a_reader_tailing_the_log_misses_nothing_while_many_writers_commit(
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
    writers_done.set()
    tail.join(60)
    assert seen == [event_id for event_id, _ in everything_logged(database)]
    assert len(seen) == WRITERS * TRANSACTIONS_PER_WRITER * 2
