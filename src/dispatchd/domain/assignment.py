"""Choosing the installer: who may take an order, and who should (S201, [0070]-[0071]).

Eligible means on duty, serving a zone that contains the order, below capacity, holding every
skill the order needs, and not someone who already let this order lapse or declined it. Among
the eligible, the policy's ranking decides: the lowest ``distance_km × w₁ + active_jobs × w₂ −
(rating − 3) × w₃`` is offered first, so a manager can trade distance for an even workload or
for the customers' verdict. Installers whose position is unknown come after every located one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.geo import Point, distance_m

NEUTRAL_RATING = 3.0
BEST_RATING = 5.0
MAX_WEIGHT = 1000.0


@dataclass(frozen=True)
class Ranking:
    """How automatic offers weigh eligible installers: the lowest score is offered first.

    ``distance_km × w₁ + active_jobs × w₂ − (rating − 3) × w₃``; an installer without a
    rating yet counts as 3, so a newcomer is neither favoured nor held back.
    """

    distance_km: float = 1.0
    active_jobs: float = 2.0
    rating: float = 1.0

    def __post_init__(self) -> None:
        errors = [
            FieldError(
                f"ranking.{name}",
                f"must be a number from 0 to {MAX_WEIGHT:g}, got {value}",
                "number_range",
                {"min": 0, "max": MAX_WEIGHT},
            )
            for name, value in (
                ("distance_km", self.distance_km),
                ("active_jobs", self.active_jobs),
                ("rating", self.rating),
            )
            if not 0 <= value <= MAX_WEIGHT
        ]
        if errors:
            raise InvalidInput(errors)

    def terms(self, distance_km: float | None, active_jobs: int, rating: float | None) -> Terms:
        """Each weighted part of a candidate's score (an unknown distance weighs nothing)."""
        stars = NEUTRAL_RATING if rating is None else rating
        return Terms(
            distance=0.0 if distance_km is None else distance_km * self.distance_km,
            workload=active_jobs * self.active_jobs,
            rating=-(stars - NEUTRAL_RATING) * self.rating,
        )

    def score(self, distance_km: float | None, active_jobs: int, rating: float | None) -> float:
        """The candidate's score: lower is better."""
        return self.terms(distance_km, active_jobs, rating).total

    def best_possible(self, distance_km: float) -> float:
        """The lowest score anyone at least ``distance_km`` away could have: idle, top-rated.

        Lets the search among the nearest installers stop as soon as nobody farther could win.
        """
        return distance_km * self.distance_km - (BEST_RATING - NEUTRAL_RATING) * self.rating


DEFAULT_RANKING = Ranking()


@dataclass(frozen=True)
class Terms:
    """A candidate's score split into what the console shows: distance, workload, rating."""

    distance: float
    workload: float
    rating: float

    @property
    def total(self) -> float:
        """The score the ranking sorts by."""
        return self.distance + self.workload + self.rating


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
    rating: float | None = None


@dataclass(frozen=True)
class RankedCandidate:
    """A candidate with the reasons for their rank, for the console's assignment list."""

    candidate: Candidate
    distance_m: float | None
    eligible: bool
    why_not: tuple[str, ...]
    terms: Terms

    @property
    def installer_id(self) -> str:
        """The ranked installer's id."""
        return self.candidate.installer_id

    @property
    def score(self) -> float:
        """The ranking's score (lower is better)."""
        return self.terms.total


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


def weigh(
    needs: OrderNeeds, candidate: Candidate, ranking: Ranking = DEFAULT_RANKING
) -> RankedCandidate:
    """One candidate's eligibility, distance and weighted score for this order."""
    why_not = reasons_not_eligible(needs, candidate)
    distance = distance_m(needs.location, candidate.location) if candidate.location else None
    terms = ranking.terms(
        None if distance is None else distance / 1000.0, candidate.active_jobs, candidate.rating
    )
    return RankedCandidate(candidate, distance, not why_not, why_not, terms)


def rank(
    needs: OrderNeeds, candidates: Iterable[Candidate], ranking: Ranking = DEFAULT_RANKING
) -> list[RankedCandidate]:
    """All candidates, eligible first, then by the ranking's score, then by id."""
    return sorted((weigh(needs, c, ranking) for c in candidates), key=_rank_key)


def choose_installer(
    needs: OrderNeeds, candidates: Iterable[Candidate], ranking: Ranking = DEFAULT_RANKING
) -> str | None:
    """The best eligible installer's id, or ``None`` when nobody may take the order."""
    best: tuple[tuple[bool, bool, float, int, str], str] | None = None
    for candidate in candidates:
        if reasons_not_eligible(needs, candidate):
            continue
        key = _rank_key(weigh(needs, candidate, ranking))
        if best is None or key < best[0]:
            best = (key, candidate.installer_id)
    return None if best is None else best[1]


def _rank_key(ranked: RankedCandidate) -> tuple[bool, bool, float, int, str]:
    return (
        not ranked.eligible,
        ranked.distance_m is None,
        ranked.score,
        ranked.candidate.active_jobs,
        ranked.installer_id,
    )
