"""The zone repair migration normalises what parses and marks, and reports, what does not."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import select
from structlog.testing import capture_logs

from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store import tables as t
from dispatchd.store.migrate import alembic_config, upgrade

OPEN_TRIANGLE_WITH_EXTRAS = {
    "type": "Polygon",
    "coordinates": [[[121.4, 31.15, 4], [121.55, 31.3, 4], [121.55, 31.15, 4]]],
    "bbox": [121.4, 31.15, 121.55, 31.3],
    "properties": {"colour": "red"},
    "foreign": [[[[["deep"]]]]],
}
REPAIRED_TRIANGLE = {
    "type": "Polygon",
    "coordinates": [[[121.4, 31.15], [121.55, 31.15], [121.55, 31.3], [121.4, 31.15]]],
}
BOW_TIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]],
}


def _back_to_0005(dispatcher: Dispatcher) -> None:
    config = alembic_config()
    with dispatcher.database.write() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")


def _insert(dispatcher: Dispatcher, rows: list[tuple[str, dict[str, Any]]]) -> None:
    now = dispatcher.clock.now()
    zones = t.zones.c
    with dispatcher.database.write() as conn:
        for revision, (zone_id, boundary) in enumerate(rows, start=1):
            conn.execute(
                t.zones.insert().values(
                    {
                        zones.id: zone_id,
                        zones.name: zone_id,
                        zones.boundary: boundary,
                        zones.revision: revision,
                        zones.created_at: now,
                        zones.updated_at: now,
                    }
                )
            )


def _stored(dispatcher: Dispatcher) -> dict[str, tuple[Any, str | None]]:
    zones = t.zones.c
    with dispatcher.reading() as conn:
        rows = conn.execute(select(zones.id, zones.boundary, zones.boundary_problem)).all()
    return {zone_id: (boundary, problem) for zone_id, boundary, problem in rows}


def test_the_migration_repairs_a_stored_boundary_and_marks_and_reports_one_it_cannot(
    dispatcher: Dispatcher,
) -> None:
    _back_to_0005(dispatcher)
    _insert(
        dispatcher,
        [("zon_extras", OPEN_TRIANGLE_WITH_EXTRAS), ("zon_bow_tie", BOW_TIE), ("zon_fine", SQUARE)],
    )

    with capture_logs() as logs:
        upgrade(dispatcher.database)

    stored = _stored(dispatcher)
    assert stored["zon_extras"] == (REPAIRED_TRIANGLE, None)
    assert stored["zon_fine"] == (SQUARE, None)
    left_as_it_was, problem = stored["zon_bow_tie"]
    assert left_as_it_was == BOW_TIE
    assert problem is not None
    assert "Self-intersection" in problem
    reports = {(entry["event"], entry.get("zone_id")) for entry in logs}
    assert ("zone boundary repaired", "zon_extras") in reports
    assert ("zone boundary cannot be repaired", "zon_bow_tie") in reports
    assert ("zone boundary repaired", "zon_fine") not in reports
    [summary] = [entry for entry in logs if entry["event"] == "zone boundaries checked"]
    assert (summary["zones"], summary["repaired"], summary["marked"]) == (3, 1, 1)

    with dispatcher.reading() as conn:
        zones = {zone.id: zone for zone in UnitOfWork(conn).zones.all()}
    assert zones["zon_extras"].boundary == REPAIRED_TRIANGLE
    assert zones["zon_bow_tie"].boundary is None
    assert zones["zon_bow_tie"].boundary_problem is not None
    assert "PATCH /api/v1/zones/zon_bow_tie" in zones["zon_bow_tie"].boundary_problem
