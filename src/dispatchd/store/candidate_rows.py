"""Candidates for an order read in one statement, straight from the driver.

Every automatic offer verifies its nearest installers against the database: duty, capacity,
skills, zones, workload and rating as committed now. In a busy city the search widens over
dozens of installers per order, and through SQLAlchemy's result objects (a whole installer
record per row, a second statement for the zones, a converter call per value) each one cost
more in Python than the database took to count its jobs. Here one fixed statement per store
returns exactly the values a :class:`~dispatchd.domain.assignment.Candidate` holds, its zones
aggregated in the same row, and each row becomes a candidate at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import orjson
from sqlalchemy import Connection

from dispatchd.domain.assignment import Candidate
from dispatchd.domain.geo import Point
from dispatchd.domain.offers import ACTIVE_OFFER_STATUSES
from dispatchd.domain.orders import HELD_STATUSES
from dispatchd.store.bulk import raw_execute
from dispatchd.store.types import from_micros

#: Where the installer stands for dispatch, given the stored fix (location, taken at): the
#: caller may know a newer one that is not saved yet.
Locate = Callable[[str, Point | None, datetime | None, float | None], Point | None]


def _listed(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in sorted(values))


_ACTIVE = _listed([status.value for status in ACTIVE_OFFER_STATUSES])
_BUSY = _listed([status.value for status in HELD_STATUSES])

_COLUMNS = f"""
    i.id, i.on_duty, i.capacity, i.skills, i.lat, i.lon, i.location_at, i.accuracy_m,
    (SELECT count(*) FROM offers o WHERE o.installer_id = i.id AND o.status IN ({_ACTIVE}))
    + (SELECT count(*) FROM orders r WHERE r.installer_id = i.id AND r.status IN ({_BUSY})),
    (SELECT avg(r.rating_stars) FROM orders r
      WHERE r.installer_id = i.id AND r.rating_stars IS NOT NULL)"""  # noqa: S608 - constants

SQLITE = f"""SELECT {_COLUMNS},
    (SELECT json_group_array(z.zone_id) FROM installer_zones z WHERE z.installer_id = i.id)
    FROM installers i WHERE i.id IN (SELECT value FROM json_each(?))"""  # noqa: S608 - constants

POSTGRESQL = f"""SELECT {_COLUMNS},
    ARRAY(SELECT z.zone_id FROM installer_zones z WHERE z.installer_id = i.id)
    FROM installers i WHERE i.id = ANY(%s)"""  # noqa: S608 - constants


def read_candidates(
    conn: Connection, installer_ids: Sequence[str], locate: Locate | None = None
) -> list[Candidate]:
    """These installers as the assignment rules weigh them, in the order given.

    Unknown ids are left out. ``locate`` may put an installer where a newer, unsaved fix
    says they are.
    """
    if not installer_ids:
        return []
    on_sqlite = conn.dialect.name != "postgresql"
    if on_sqlite:
        rows = raw_execute(conn, SQLITE, (orjson.dumps(list(installer_ids)).decode(),))
    else:
        rows = raw_execute(conn, POSTGRESQL, (list(installer_ids),))
    found: dict[str, Candidate] = {}
    for (
        installer_id,
        on_duty,
        capacity,
        stored_skills,
        lat,
        lon,
        location_at,
        accuracy_m,
        workload,
        rating,
        stored_zones,
    ) in rows:
        location = None if lat is None else Point(lat, lon)
        if locate is not None:
            taken_at = None if location_at is None else from_micros(location_at)
            location = locate(installer_id, location, taken_at, accuracy_m)
        skills = orjson.loads(stored_skills) if on_sqlite else stored_skills
        zones = orjson.loads(stored_zones) if on_sqlite else stored_zones
        found[installer_id] = Candidate(
            installer_id=installer_id,
            on_duty=bool(on_duty),
            zone_ids=frozenset(zones),
            active_jobs=int(workload),
            capacity=capacity,
            skills=frozenset(skills),
            location=location,
            rating=None if rating is None else float(rating),
        )
    return [found[i] for i in installer_ids if i in found]
