"""Hears commits made by other processes: PostgreSQL ``LISTEN`` on the wake-up channels.

One thread per process holds one plain psycopg connection in autocommit mode and turns each
notification into a wake-up of the event pump or the deadline engine. When the connection
drops (a database restart, a network blip) it reconnects with a pause, and on every
(re)connect wakes everyone once, because hints sent while it was away are lost for good —
which costs nothing but latency, since the tables, not the hints, hold the work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import psycopg
import structlog
from psycopg import sql

from dispatchd.engine.broadcast import EventHub
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.store.database import Database
from dispatchd.store.types import from_micros
from dispatchd.store.wakeups import DEADLINES_CHANNEL, EVENTS_CHANNEL

log = structlog.get_logger(__name__)

Handler = Callable[[str], None]


class WakeupListener:
    """Listens on named channels and calls each channel's handler with the payload."""

    def __init__(
        self,
        conninfo: str,
        handlers: Mapping[str, Handler],
        reconnect_s: float = 1.0,
        tick_s: float = 0.1,
    ) -> None:
        self._conninfo = conninfo
        self._handlers = dict(handlers)
        self._reconnect_s = reconnect_s
        self._tick_s = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = False

    def start(self) -> None:
        """Start listening on a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="wakeup-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and close the connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except (psycopg.Error, OSError) as exc:
                if self.connected:
                    log.warning("wake-up listener lost its connection", error=str(exc))
            self.connected = False
            self._stop.wait(self._reconnect_s)

    def _listen(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
            for channel in self._handlers:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.connected = True
            self._wake_everyone()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=self._tick_s):
                    self._call(note.channel, note.payload)

    def _wake_everyone(self) -> None:
        for channel in self._handlers:
            self._call(channel, "")

    def _call(self, channel: str, payload: str) -> None:
        handler = self._handlers.get(channel)
        if handler is None:
            return
        try:
            handler(payload)
        except Exception:
            log.exception("wake-up handler failed", channel=channel)


def wakeup_listener(
    database: Database, hub: EventHub, engine: DeadlineEngine
) -> WakeupListener | None:
    """The listener that wakes this process's pump and engine on other processes' commits.

    None on SQLite, where every writer is in this process and commit listeners suffice.
    """
    if database.is_sqlite:
        return None

    def deadline_committed(payload: str) -> None:
        if payload.isdigit():
            engine.notice_deadline(from_micros(int(payload)))
        else:
            engine.wake()

    return WakeupListener(
        database.listen_url(),
        {EVENTS_CHANNEL: lambda _payload: hub.wake(), DEADLINES_CHANNEL: deadline_committed},
    )
