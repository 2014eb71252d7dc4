"""the auth generation: one counter row bumped with every token revocation or account change

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Processes cache verified tokens for a short while; the counter, read by primary key on each
request, tells every process sharing the database to forget them the moment one changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the counter with its one row."""
    table = op.create_table(
        "auth_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    """Drop the counter."""
    op.drop_table("auth_generation")
