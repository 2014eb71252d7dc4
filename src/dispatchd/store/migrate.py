"""Bring a database to the newest schema; run on every start, so upgrades need no extra step."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from dispatchd.store.database import Database
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database: Database) -> None:
    """Apply every migration not yet applied, in one transaction where the store allows.

    On PostgreSQL a lock makes processes starting together migrate one after the other: the
    first applies the migrations, the others then find nothing left to do.
    """
    config = alembic_config()
    with database.write() as conn:
        advisory_xact_lock(conn, AdvisoryLock.SCHEMA)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
