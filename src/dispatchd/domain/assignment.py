"""Choosing the installer: who may take an order, and who should (S201, [0070]-[0071]).

Eligible means on duty, serving a zone that contains the order, below capacity, holding every
skill the order needs, and not someone who already let this order lapse or declined it. Among
the eligible, the nearest wins; equal distance goes to the lighter workload.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from dispatchd.domain.geo import Point, distance_m


@dataclass(frozen=True)
class Candidate:
    """An installer's work-state as the dispatcher weighs it."""

    installer_id: str
    on_duty: bool
    zone_ids: frozenset[str]
    active_jobs: int
    capacity: int
    skills: frozenset[str]
    location: Point | None


@dataclass(frozen=True)
class RankedCandidate:
    """A candidate with the reasons for their rank, for the console's assignment list."""

    candidate: Candidate
    distance_m: float | None
    eligible: bool
    why_not: tuple[str, ...]

    @property
    def installer_id(self) -> str:
        """The ranked installer's id."""
        return self.candidate.installer_id


@dataclass(frozen=True)
class OrderNeeds:
    """What an order asks of its installer."""

    location: Point
    zone_ids: frozenset[str]
    skills: frozenset[str]
    excluded: frozenset[str]


def reasons_not_eligible(needs: OrderNeeds, candidate: Candidate) -> tuple[str, ...]:
    """Every reason this installer may not be offered this order automatically."""
    reasons = []
    if not candidate.on_duty:
        reasons.append("off duty")
    if not candidate.zone_ids & needs.zone_ids:
        reasons.append("outside their zones")
    if candidate.active_jobs >= candidate.capacity:
        reasons.append("at capacity")
    missing = needs.skills - candidate.skills
    if missing:
        reasons.append("lacks skills: " + ", ".join(sorted(missing)))
    if candidate.installer_id in needs.excluded:
        reasons.append("already let this order lapse or declined it")
    return tuple(reasons)


def rank(needs: OrderNeeds, candidates: Iterable[Candidate]) -> list[RankedCandidate]:
    """All candidates, eligible first, then nearest, then least loaded, then by id."""
    ranked = []
    for candidate in candidates:
        why_not = reasons_not_eligible(needs, candidate)
        distance = distance_m(needs.location, candidate.location) if candidate.location else None
        ranked.append(RankedCandidate(candidate, distance, not why_not, why_not))
    ranked.sort(key=_rank_key)
    return ranked


def choose_installer(needs: OrderNeeds, candidates: Iterable[Candidate]) -> str | None:
    """The best eligible installer's id, or ``None`` when nobody may take the order."""
    best: tuple[tuple[float, int, str], str] | None = None
    for candidate in candidates:
        if reasons_not_eligible(needs, candidate):
            continue
        key = _distance_key(needs, candidate)
        if best is None or key < best[0]:
            best = (key, candidate.installer_id)
    return None if best is None else best[1]


def _distance_key(needs: OrderNeeds, candidate: Candidate) -> tuple[float, int, str]:
    distance = distance_m(needs.location, candidate.location) if candidate.location else math.inf
    return (distance, candidate.active_jobs, candidate.installer_id)


def _rank_key(ranked: RankedCandidate) -> tuple[bool, float, int, str]:
    distance = math.inf if ranked.distance_m is None else ranked.distance_m
    return (not ranked.eligible, distance, ranked.candidate.active_jobs, ranked.installer_id)
