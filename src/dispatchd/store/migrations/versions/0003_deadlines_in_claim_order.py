"""deadlines indexed in claim order (due_at, id)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The engine claims ``ORDER BY due_at, id LIMIT n``. Indexed on ``due_at`` alone, every claim
sorted all due rows sharing a due time by id — after an outage, or when a burst of offers
lapses together, that is the whole backlog, sorted again for each batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Replace the due-time index by one in claim order."""
    op.drop_index("ix_deadlines_due", table_name="deadlines")
    op.create_index("ix_deadlines_due", "deadlines", ["due_at", "id"], unique=False)


def downgrade() -> None:
    """Back to the due-time index."""
    op.drop_index("ix_deadlines_due", table_name="deadlines")
    op.create_index("ix_deadlines_due", "deadlines", ["due_at"], unique=False)
