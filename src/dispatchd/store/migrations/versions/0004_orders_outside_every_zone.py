"""orders.zone_id may be empty: an order outside every zone is kept, not refused

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

A shop's paid order whose location no zone covers waits for a manager (who assigns it or
draws a zone) instead of being lost at the door.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Let the zone be unknown."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column("zone_id", existing_type=sa.String(32), nullable=True)


def downgrade() -> None:
    """Orders outside every zone cannot be kept by the older schema; it refuses to downgrade."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column("zone_id", existing_type=sa.String(32), nullable=False)
