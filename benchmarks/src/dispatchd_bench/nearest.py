"""The nearest eligible installer among 10k or 100k on duty: the index against brute force.

The installers stand uniformly in a 1°×1° square split into ten zones, 30% of them with a
skill; each query asks for an installer of the order's zone at a random point. The index
(:class:`InstallerIndex`) is timed at k=1 and at the k the dispatcher asks for; two brute
forces answer the same queries: a Python scan over the same entries, and a vectorised
haversine over NumPy arrays (the strong baseline). Every indexed answer is checked against
the brute force.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any

import numpy as np

from dispatchd.domain.geo import EARTH_RADIUS_M, Point, distance_m
from dispatchd.service.geo_index import IndexedInstaller, InstallerIndex
from dispatchd.service.installer_map import FIRST_LOOK
from dispatchd_bench.stats import percentile

ZONES = [f"zon_{n}" for n in range(10)]
SKILL = "gas"
NONE: frozenset[str] = frozenset()


def _zone_of(point: Point) -> str:
    return ZONES[int((point.lon - 121.0) * len(ZONES)) % len(ZONES)]


def _city(rng: random.Random, installers: int) -> list[IndexedInstaller]:
    entries = []
    for n in range(installers):
        where = Point(31.0 + rng.random(), 121.0 + rng.random())
        skills = frozenset({SKILL}) if rng.random() < 0.3 else NONE
        entries.append(IndexedInstaller(f"ins_{n}", where, frozenset({_zone_of(where)}), skills))
    return entries


def _timed_us(run: Any, cpu: list[float] | None = None) -> tuple[float, Any]:
    """Wall-clock µs of one call; its CPU µs appended to ``cpu`` (scheduling noise excluded)."""
    cpu_began = time.thread_time()
    began = time.perf_counter()
    answer = run()
    elapsed = (time.perf_counter() - began) * 1e6
    if cpu is not None:
        cpu.append((time.thread_time() - cpu_began) * 1e6)
    return elapsed, answer


def run_nearest(installers: int, queries: int, brute_queries: int, seed: int = 7) -> dict[str, Any]:
    """Latency percentiles (µs) of the index and of both brute forces, and mismatches."""
    rng = random.Random(seed)
    entries = _city(rng, installers)
    index = InstallerIndex()
    began = time.perf_counter()
    index.replace_all(entries)
    built_s = time.perf_counter() - began
    lats = np.radians(np.array([e.location.lat for e in entries if e.location]))
    lons = np.radians(np.array([e.location.lon for e in entries if e.location]))
    zone_codes = np.array([ZONES.index(next(iter(e.zone_ids))) for e in entries])
    points = [Point(31.0 + rng.random(), 121.0 + rng.random()) for _ in range(queries)]

    one: list[float] = []
    one_cpu: list[float] = []
    top_k: list[float] = []
    top_k_cpu: list[float] = []
    python_scan: list[float] = []
    numpy_scan: list[float] = []
    answers: list[list[tuple[float, str]]] = []
    # One pass per method, so that no method runs on caches another warmed at the same point.
    for where in points:
        zones = frozenset({_zone_of(where)})
        elapsed, found = _timed_us(
            lambda: index.nearest(where, zones, NONE, NONE, 1),  # noqa: B023
            one_cpu,
        )
        one.append(elapsed)
        answers.append(found)
    for where in points:
        zones = frozenset({_zone_of(where)})
        elapsed, _ = _timed_us(
            lambda: index.nearest(where, zones, NONE, NONE, FIRST_LOOK),  # noqa: B023
            top_k_cpu,
        )
        top_k.append(elapsed)
    mismatches = 0
    for where, found in zip(points[:brute_queries], answers, strict=False):
        zones = frozenset({_zone_of(where)})
        elapsed, best = _timed_us(lambda: _python_scan(entries, where, zones))  # noqa: B023
        python_scan.append(elapsed)
        if not found or not math.isclose(found[0][0], best[0], abs_tol=1e-6):
            mismatches += 1
    for where in points[:brute_queries]:
        code = ZONES.index(_zone_of(where))
        elapsed, _ = _timed_us(lambda: _numpy_scan(lats, lons, zone_codes, where, code))  # noqa: B023
        numpy_scan.append(elapsed)

    def figures(samples: list[float], **extra: Any) -> dict[str, Any]:
        return {
            "queries": len(samples),
            "p50_us": round(percentile(samples, 50), 1),
            "p99_us": round(percentile(samples, 99), 1),
            **extra,
        }

    return {
        "installers": installers,
        "index_k1": figures(
            one,
            cpu_p99_us=round(percentile(one_cpu, 99), 1),
            built_in_s=round(built_s, 2),
            mismatches=mismatches,
        ),
        f"index_k{FIRST_LOOK}": figures(top_k, cpu_p99_us=round(percentile(top_k_cpu, 99), 1)),
        "brute_force_python": figures(python_scan),
        "brute_force_numpy": figures(numpy_scan),
    }


def _python_scan(
    entries: list[IndexedInstaller], where: Point, zones: frozenset[str]
) -> tuple[float, str]:
    return min(
        (distance_m(where, e.location), e.installer_id)
        for e in entries
        if e.location is not None and not e.zone_ids.isdisjoint(zones)
    )


def _numpy_scan(
    lats: np.ndarray[Any, Any],
    lons: np.ndarray[Any, Any],
    zone_codes: np.ndarray[Any, Any],
    where: Point,
    zone_code: int,
) -> int:
    lat, lon = math.radians(where.lat), math.radians(where.lon)
    h = np.sin((lats - lat) / 2) ** 2 + math.cos(lat) * np.cos(lats) * np.sin((lons - lon) / 2) ** 2
    metres = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    metres[zone_codes != zone_code] = np.inf
    return int(np.argmin(metres))
