"""the event queue: commits queue their events, one publisher at a time numbers them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

On PostgreSQL every event-writing commit used to take one advisory lock so that event ids
followed commit order. Commands now queue their events in this table without any shared lock,
and a short publication round moves the committed ones into ``events``, numbering them there.
SQLite keeps writing ``events`` directly; the table is created on both stores so they keep one
schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dispatchd.store.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the queue (it starts empty: every event so far is already published)."""
    op.create_table(
        "event_queue",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("installer_id", sa.String(length=32), nullable=True),
        sa.Column("zone_id", sa.String(length=32), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", dispatchd.store.types.UtcTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event_queue")),
    )


def downgrade() -> None:
    """Drop the queue; run it only once publication has emptied it, or its events are lost."""
    op.drop_table("event_queue")
