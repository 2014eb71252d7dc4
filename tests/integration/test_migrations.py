"""The migrations build exactly the schema the code declares, on every store."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store.tables import metadata


def test_the_migrated_schema_matches_the_declared_tables(dispatcher: Dispatcher) -> None:
    with dispatcher.database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []
