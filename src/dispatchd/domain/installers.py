"""The installer: who they are and their work-state — zones, duty, capacity, skills, position.

Their workload is not stored on them but counted from offers and jobs, so it can never drift;
the assignment rules see an installer as a :class:`Candidate` carrying that count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatchd.domain.assignment import Candidate
from dispatchd.domain.geo import Point


@dataclass
class Installer:
    """An installer with the zones they serve and their last known position."""

    id: str
    name: str
    phone: str
    capacity: int
    skills: list[str]
    on_duty: bool
    zone_ids: list[str]
    created_at: datetime
    location: Point | None = None
    location_at: datetime | None = None
    accuracy_m: float | None = None

    def serves(self, zone_id: str | None) -> bool:
        """Whether the installer is responsible for the zone."""
        return zone_id in self.zone_ids

    def as_candidate(self, active_jobs: int, rating: float | None = None) -> Candidate:
        """The installer as the assignment rules weigh them, with their current workload and
        the average of their customers' ratings (None before the first)."""
        return Candidate(
            installer_id=self.id,
            on_duty=self.on_duty,
            zone_ids=frozenset(self.zone_ids),
            active_jobs=active_jobs,
            capacity=self.capacity,
            skills=frozenset(self.skills),
            location=self.location,
            rating=rating,
        )
