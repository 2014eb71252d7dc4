"""The background workers of one ``dispatchd serve`` process, started and stopped together."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.engine.outbox import OutboxRelay

log = structlog.get_logger(__name__)


class BackgroundRunner:
    """Runs the deadline engine and the outbox relay on their own threads until stopped."""

    def __init__(self, engine: DeadlineEngine, relay: OutboxRelay) -> None:
        self.engine = engine
        self.relay = relay
        self._stop = threading.Event()
        self._threads: dict[str, threading.Thread] = {}

    def start(self) -> None:
        """Start every worker thread."""
        workers: dict[str, Callable[[threading.Event], None]] = {
            "deadline-engine": self.engine.run_forever,
            "outbox-relay": self.relay.run_forever,
        }
        for name, target in workers.items():
            thread = threading.Thread(target=target, args=(self._stop,), name=name, daemon=True)
            thread.start()
            self._threads[name] = thread

    def engine_alive(self) -> bool:
        """Whether the deadline engine thread is running."""
        thread = self._threads.get("deadline-engine")
        return thread is not None and thread.is_alive()

    def relay_alive(self) -> bool:
        """Whether the outbox relay thread is running."""
        thread = self._threads.get("outbox-relay")
        return thread is not None and thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every worker to stop after its current batch, and wait for them."""
        self._stop.set()
        self.engine.wake()
        self.relay.wake()
        for thread in self._threads.values():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("worker did not stop in time", thread=thread.name)
