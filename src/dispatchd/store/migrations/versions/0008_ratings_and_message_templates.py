"""customers' ratings of finished jobs, and customer messages' words as admins edit them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

A rating is part of its order (one per job), so three nullable columns on ``orders``; an
installer's average is counted from them. Edited message texts are rows per (template, locale)
that override the words the code ships.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dispatchd.store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcTime = dispatchd.store.types.UtcTime


def upgrade() -> None:
    """Add the rating columns and the message templates table."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating_stars", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", UtcTime(), nullable=True))
    op.create_table(
        "message_templates",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", "locale", name=op.f("pk_message_templates")),
    )


def downgrade() -> None:
    """Drop the edited texts and the ratings."""
    op.drop_table("message_templates")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating_comment")
        batch_op.drop_column("rating_stars")
