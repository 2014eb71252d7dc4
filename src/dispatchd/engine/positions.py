"""The position saver: writes the installers' newest positions to the database about once a second.

Every serving process runs one, whether or not it runs the deadline engine, because each
process holds the positions its own requests brought (:mod:`dispatchd.service.positions`). A
clean shutdown saves what is left; a crash loses at most the positions of the last interval.
"""

from __future__ import annotations

import threading

import structlog

from dispatchd.service.dispatcher import Dispatcher

log = structlog.get_logger(__name__)


class PositionSaver:
    """Saves the unsaved positions every ``every_s`` seconds on its own thread until stopped."""

    def __init__(self, dispatcher: Dispatcher, every_s: float) -> None:
        self._dispatcher = dispatcher
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.batches = 0

    def flush(self) -> int:
        """Save every position waiting now, in one statement; how many were saved."""
        saved = self._dispatcher.save_positions()
        if saved:
            self.batches += 1
        return saved

    def run_forever(self, stop: threading.Event) -> None:
        """Save a batch each interval; a failed save is retried with the next one."""
        while not stop.wait(self._every_s):
            try:
                self.flush()
            except Exception:
                log.exception("saving positions failed; retrying with the next batch")

    def start(self) -> None:
        """Start the saving thread (not when the interval is 0: the owner then flushes)."""
        if self._every_s <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run_forever, args=(self._stop,), name="position-saver", daemon=True
        )
        self._thread.start()

    def alive(self) -> bool:
        """Whether the saving thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, then save what is left (a clean shutdown loses no position)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("position saver did not stop in time")
        try:
            self.flush()
        except Exception:
            log.exception("saving the last positions at shutdown failed")
