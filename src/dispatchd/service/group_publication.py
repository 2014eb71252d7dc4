"""Group publication: every thread that needs its events published, served by one round.

After a commit that queued events, the committing thread waits until a publication round that
began after its commit has ended, so the command's answer already shows its events (``GET
/orders/{id}`` right after it, the live stream). Rounds run one at a time per process; a
thread that arrives while one runs waits for the next, and that next round serves every
thread waiting by then — N concurrent committers cost one round, not N. The event pump asks
the same way before each read, and so publishes whatever a crashed process left queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

Round = Callable[[], int]


class GroupPublisher:
    """Runs publication rounds on behalf of every waiting thread, one round at a time."""

    def __init__(self, publish_round: Round) -> None:
        self._round = publish_round
        self._changed = threading.Condition()
        self._running = False
        self._started = 0
        self._finished = 0
        self.rounds = 0
        self.failures = 0
        self.waiting = 0

    def publish(self) -> None:
        """Return once a round that began after this call has ended.

        A round that fails is logged and not raised: the events are committed and stay
        queued, and the next round (the pump's, within a poll) publishes them. Raising would
        tell the caller its command failed when it has not.
        """
        with self._changed:
            needed = self._started + 1
            while self._finished < needed:
                if self._running:
                    self.waiting += 1
                    self._changed.wait()
                    self.waiting -= 1
                    continue
                self._running = True
                self._started += 1
                mine = self._started
                self._changed.release()
                try:
                    self._run_round()
                finally:
                    self._changed.acquire()
                    self._running = False
                    self._finished = mine
                    self._changed.notify_all()

    def _run_round(self) -> None:
        self.rounds += 1
        try:
            self._round()
        except Exception:
            self.failures += 1
            log.warning("event publication failed; the next round publishes", exc_info=True)
