"""alerts found by order and type: an index the question "is this order's alert open?" uses

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Raising an alert first asks whether the order already has one of that type open. With only
an index on the order, SQLite answered from the index of open alerts instead, reading every
open alert of the deployment for each question; the index on (order, type, acknowledged)
answers it from the order's own few rows however many alerts stand open.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Replace the index on the order alone with one on order, type and acknowledgement."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alerts_order_type_open", ["order_id", "type", "acknowledged_at"], unique=False
        )
        batch_op.drop_index("ix_alerts_order")


def downgrade() -> None:
    """Back to the index on the order alone."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_order", ["order_id"], unique=False)
        batch_op.drop_index("ix_alerts_order_type_open")
