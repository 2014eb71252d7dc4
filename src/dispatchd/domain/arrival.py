"""How far the installer on the way is, and roughly when they arrive, as the customer reads it.

Only the installer's last reported position and the order's location are known, not the
route, so the estimate is deliberately simple: the straight-line distance stretched by a road
factor of 1.3 (city streets are rarely straight) at an average city speed of 25 km/h, in whole
minutes rounded up. It is an expectation for the customer, not a promise the ladders watch.
"""

from __future__ import annotations

import math

from dispatchd.domain.geo import Point, distance_m

ROAD_FACTOR = 1.3
CITY_SPEED_KMH = 25.0


def distance_km(installer_at: Point, customer_at: Point) -> float:
    """The straight-line distance in kilometres, to 0.1 km."""
    return round(distance_m(installer_at, customer_at) / 1000, 1)


def eta_minutes(straight_km: float) -> int:
    """Minutes until arrival at the assumed road factor and speed (at least one)."""
    return max(1, math.ceil(straight_km * ROAD_FACTOR / CITY_SPEED_KMH * 60))
