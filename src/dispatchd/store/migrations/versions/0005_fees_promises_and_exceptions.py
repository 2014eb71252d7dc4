"""job fees, manager ledger entries, promises after acceptance, appointments, suspensions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Orders carry the installer's fee, the appointment agreed with the customer, the moment the
installer set off, a suspension, and the installers who handed the job back or had it taken
away. Each promise after acceptance (appointment, arrival, completion) is a row watched by its
ladder. Ledger entries gain a key that makes a booking happen at most once (a job fee, a
waiver, a promise penalty), a note, the entry a waiver reverses and who booked it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dispatchd.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcTime = dispatchd.store.types.UtcTime


def upgrade() -> None:
    """Add the columns and the promises table."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fee", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("appointment_start", UtcTime(), nullable=True))
        batch_op.add_column(sa.Column("appointment_end", UtcTime(), nullable=True))
        batch_op.add_column(sa.Column("appointment_set_at", UtcTime(), nullable=True))
        batch_op.add_column(
            sa.Column("appointment_moves", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("on_the_way_at", UtcTime(), nullable=True))
        batch_op.add_column(sa.Column("suspension", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("releases", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("once_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("entry_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("by", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint("uq_ledger_entries_once_key", ["once_key"])
    op.create_table(
        "promises",
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("installer_id", sa.String(length=32), nullable=False),
        sa.Column("ladder", sa.JSON(), nullable=False),
        sa.Column("since", UtcTime(), nullable=False),
        sa.Column("steps_taken", sa.Integer(), nullable=False),
        sa.Column("next_step_at", UtcTime(), nullable=True),
        sa.Column("last_step_at", UtcTime(), nullable=True),
        sa.Column("kept_at", UtcTime(), nullable=True),
        sa.Column("ended_at", UtcTime(), nullable=True),
        sa.Column("paused_at", UtcTime(), nullable=True),
        sa.Column("time_left_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["installer_id"], ["installers.id"], name=op.f("fk_promises_installer_id_installers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_promises_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "kind", name=op.f("pk_promises")),
    )


def downgrade() -> None:
    """Drop what this revision added."""
    op.drop_table("promises")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ledger_entries_once_key", type_="unique")
        for column in ("by", "entry_id", "note", "once_key"):
            batch_op.drop_column(column)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        for column in (
            "releases",
            "suspension",
            "on_the_way_at",
            "appointment_moves",
            "appointment_set_at",
            "appointment_end",
            "appointment_start",
            "fee",
        ):
            batch_op.drop_column(column)
