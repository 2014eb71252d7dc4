"""zones hold validated, normalised geometry; a boundary that cannot be repaired is marked

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Boundaries used to be stored as the client sent them, extra members and all, so one zone could
hold what no response can carry and break the zone list for everyone. Each live zone's
boundary is parsed again under the rules requests now follow and stored in its normalised form
(``type`` and ``coordinates`` only, ``[lon, lat]`` floats, RFC 7946 winding). Rings left open
are closed first, as shapely closed them when the zone was drawn, so a zone that placed orders
yesterday keeps placing them. A boundary that still does not parse is left in the row as it
was, for the operator to look at, and ``boundary_problem`` says why: such a zone lists with no
boundary and that reason, takes no new orders, and is fixed by redrawing it. Each repair and
each marked zone is logged (``zone boundary repaired`` / ``zone boundary cannot be repaired``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import structlog
from alembic import op

from dispatchd.domain.errors import InvalidInput
from dispatchd.service.boundary import parse_boundary

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = structlog.get_logger("dispatchd.migrations")
zones = sa.table(
    "zones",
    sa.column("id", sa.String),
    sa.column("boundary", sa.JSON),
    sa.column("boundary_problem", sa.Text),
    sa.column("deleted_at", sa.DateTime),
)


def upgrade() -> None:
    """Add ``boundary_problem``, then repair or mark every live zone's boundary."""
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("boundary_problem", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(zones.c.id, sa.cast(zones.c.boundary, sa.Text)).where(
            zones.c.deleted_at.is_(None)
        )
    ).all()
    repaired = marked = 0
    for zone_id, stored in rows:
        normalised, problem = _repair(stored)
        if problem is not None:
            marked += 1
            log.warning("zone boundary cannot be repaired", zone_id=zone_id, problem=problem)
            change: dict[str, Any] = {"boundary_problem": problem}
        elif normalised != json.loads(stored):
            repaired += 1
            log.info("zone boundary repaired", zone_id=zone_id)
            change = {"boundary": normalised}
        else:
            continue
        conn.execute(sa.update(zones).where(zones.c.id == zone_id).values(**change))
    log.info("zone boundaries checked", zones=len(rows), repaired=repaired, marked=marked)


def _repair(stored: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        raw = json.loads(stored)
    except (ValueError, RecursionError) as exc:
        return None, f"the stored boundary is not readable JSON ({type(exc).__name__})"
    try:
        return parse_boundary(raw, close_rings=True).geojson, None
    except InvalidInput as exc:
        return None, f"the stored boundary could not be repaired ({exc.detail})"


def downgrade() -> None:
    """Drop the marks; repaired boundaries stay normalised (the same shapes, read the same)."""
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_column("boundary_problem")
