"""installers.changed_at: lets every process keep its map of installers current

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dispatchd.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column (filled from created_at for existing rows) and its index."""
    with op.batch_alter_table("installers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", dispatchd.store.types.UtcTime(), nullable=True))
    op.execute("UPDATE installers SET changed_at = created_at")
    with op.batch_alter_table("installers", schema=None) as batch_op:
        batch_op.alter_column("changed_at", nullable=False)
        batch_op.create_index("ix_installers_changed_at", ["changed_at"], unique=False)


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("installers", schema=None) as batch_op:
        batch_op.drop_index("ix_installers_changed_at")
        batch_op.drop_column("changed_at")
