"""A sliding-window limiter for attempts that invite guessing (log-ins, tracking links)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class RateLimiter:
    """At most ``limit`` hits per key in any ``window_s`` seconds, per process."""

    def __init__(self, limit: int, window_s: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Count a hit; returns 0 if allowed, else the seconds to wait before retrying."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= moment - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1.0, math.ceil(hits[0] + self.window_s - moment))
            hits.append(moment)
            if len(self._hits) > self._max_keys:
                self._forget_idle(moment)
            return 0.0

    def _forget_idle(self, moment: float) -> None:
        idle = [k for k, v in self._hits.items() if not v or v[-1] <= moment - self.window_s]
        for key in idle:
            del self._hits[key]
