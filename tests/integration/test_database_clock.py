"""Processes on PostgreSQL tell time by the database: a wrong local clock fires nothing early."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import dispatchd.service.clock as clock_module
from dispatchd.config import Settings
from dispatchd.domain.escalation import EscalationStep, Ladder, Policy, StepAction
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.bootstrap import bootstrap
from dispatchd.service.clock import Clock, DatabaseClock, SystemClock
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store.database import Database
from tests.conftest import ADMIN_PASSWORD
from tests.service_city import one_installer_city

pytestmark = pytest.mark.postgresql

REMIND_AFTER_5_MINUTES = Policy(
    Ladder((EscalationStep(300, StepAction.REMIND), EscalationStep(300, StepAction.REVOKE)))
)
TEN_MINUTES = timedelta(minutes=10)


class Monotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    found = Database(postgres_url)
    yield found
    found.dispose()


@pytest.fixture
def local_clock_ten_minutes_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's wall clock runs ten minutes ahead of the rest of the world."""
    wall = clock_module.utcnow
    monkeypatch.setattr(clock_module, "utcnow", lambda: wall() + TEN_MINUTES)


def dispatcher_on(database: Database, clock: Clock, tmp_path: Path) -> Dispatcher:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        database_url=database.url,
        admin_password=ADMIN_PASSWORD,
        run_engine=False,
    )
    dispatcher = Dispatcher(database, clock, settings)
    bootstrap(dispatcher)
    return dispatcher


@pytest.mark.usefixtures("local_clock_ten_minutes_fast")
def test_the_database_clock_follows_the_database_not_the_local_wall_clock(
    database: Database,
) -> None:
    told = DatabaseClock(database.now).now()
    assert abs((told - database.now()).total_seconds()) < 1
    assert (SystemClock().now() - told) > timedelta(minutes=9)


@pytest.mark.usefixtures("local_clock_ten_minutes_fast")
def test_a_process_whose_clock_is_minutes_ahead_fires_no_step_early(
    database: Database, tmp_path: Path
) -> None:
    monotonic = Monotonic()
    clock = DatabaseClock(database.now, resync_s=86_400, monotonic=monotonic)
    dispatcher = dispatcher_on(database, clock, tmp_path)
    city = one_installer_city(dispatcher, REMIND_AFTER_5_MINUTES)
    city.order()
    engine = DeadlineEngine(dispatcher)

    assert engine.run_due() == 0
    monotonic.value += 299
    assert engine.run_due() == 0
    monotonic.value += 2
    assert engine.run_due() == 1


@pytest.mark.usefixtures("local_clock_ten_minutes_fast")
def test_without_the_database_clock_the_fast_process_would_fire_early(
    database: Database, tmp_path: Path
) -> None:
    on_the_database = dispatcher_on(database, DatabaseClock(database.now), tmp_path)
    one_installer_city(on_the_database, REMIND_AFTER_5_MINUTES).order()
    on_its_own_clock = Dispatcher(database, SystemClock(), on_the_database.settings)

    assert DeadlineEngine(on_its_own_clock).run_due() == 1


def test_serving_on_postgresql_tells_time_by_the_database_and_on_sqlite_by_the_system() -> None:
    assert Settings(database_url="postgresql://db/dispatchd").uses_database_clock()
    assert not Settings(database_url="postgresql://db/x", clock="system").uses_database_clock()
    assert not Settings().uses_database_clock()
