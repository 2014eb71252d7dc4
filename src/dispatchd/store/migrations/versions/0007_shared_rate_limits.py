"""attempt counters shared by every process: log-in and tracking rate limits in the database

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Rate limits used to live in one process's memory, so N processes allowed N times the
attempts. Counters keyed by (scope, key, window) let every process count into the same row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dispatchd.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcTime = dispatchd.store.types.UtcTime


def upgrade() -> None:
    """Add the counters table and the index its purge of ended windows uses."""
    op.create_table(
        "attempt_counters",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("window_start", UtcTime(), nullable=False),
        sa.Column("window_end", UtcTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", "window_start", name=op.f("pk_attempt_counters")),
    )
    with op.batch_alter_table("attempt_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attempt_counters_window_end"), ["window_end"], unique=False
        )


def downgrade() -> None:
    """Drop the counters (they only ever hold the current minute's attempts)."""
    with op.batch_alter_table("attempt_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempt_counters_window_end"))
    op.drop_table("attempt_counters")
