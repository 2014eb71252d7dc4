"""The background workers of one ``dispatchd serve`` process, started and stopped together."""

from __future__ import annotations

import threading

import structlog

from dispatchd.engine.deadlines import DeadlineEngine

log = structlog.get_logger(__name__)


class BackgroundRunner:
    """Runs the deadline engine on its own thread until told to stop."""

    def __init__(self, engine: DeadlineEngine) -> None:
        self.engine = engine
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every worker thread."""
        thread = threading.Thread(
            target=self.engine.run_forever, args=(self._stop,), name="deadline-engine", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def engine_alive(self) -> bool:
        """Whether the deadline engine thread is running."""
        return any(t.is_alive() and t.name == "deadline-engine" for t in self._threads)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every worker to stop after its current batch, and wait for them."""
        self._stop.set()
        self.engine.wake()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("worker did not stop in time", thread=thread.name)
