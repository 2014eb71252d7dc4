"""Service codes drawn, hashed and sealed ahead of time, so an acceptance never waits for them.

Hashing a code is the one deliberately slow step of accepting an offer (sealing it for the
outbox is the next slowest), and an acceptance runs on the store's single writer, where
every millisecond holds up every other command. A small stock of fresh codes, each already
with its hash and its sealed copy, is kept topped up by a thread of its own (scrypt lets
other threads run while it works); the acceptance takes one ready code. The stock holds
codes no one has been given yet and lives only in this process's memory: a crash loses
unused codes and nothing else. When it runs dry (a burst of acceptances), the code is made
on the spot, exactly as without it.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from dispatchd.domain.service_code import hash_service_code, new_service_code
from dispatchd.service.keys import DeploymentKey

STOCK_SIZE = 32


@dataclass(frozen=True)
class PreparedCode:
    """A fresh service code, what is stored instead of it, and its copy sealed for the SMS."""

    code: str
    stored_hash: str
    sealed: str


def prepare_code(key: DeploymentKey) -> PreparedCode:
    """A new code with its peppered hash and sealed copy, made now."""
    code = new_service_code()
    return PreparedCode(code, hash_service_code(code, key.service_code_pepper), key.seal(code))


class ServiceCodeStock:
    """Up to ``size`` prepared codes; each is handed out once, then forgotten."""

    def __init__(self, key: DeploymentKey, size: int = STOCK_SIZE, background: bool = True) -> None:
        self._key = key
        self._size = size
        self._background = background
        self._ready: deque[PreparedCode] = deque()
        self._changed = threading.Condition()
        self._filler: threading.Thread | None = None
        self._stopped = False

    def take(self) -> PreparedCode:
        """A prepared code from the stock, or one made on the spot when the stock is empty.

        The first call starts the thread that keeps the stock full, so a process that never
        accepts an offer never runs it.
        """
        with self._changed:
            self._start_filling()
            ready = self._ready.popleft() if self._ready else None
            self._changed.notify()
        return ready or prepare_code(self._key)

    def fill(self) -> int:
        """Top the stock up now, in the caller's thread; returns how many codes were added."""
        added = 0
        while not self._stopped and self.count() < self._size:
            self._put(prepare_code(self._key))
            added += 1
        return added

    def count(self) -> int:
        """How many prepared codes are waiting."""
        with self._changed:
            return len(self._ready)

    def stop(self) -> None:
        """Stop topping up and forget the codes held (no one was given them)."""
        with self._changed:
            self._stopped = True
            self._ready.clear()
            self._changed.notify_all()
        if self._filler is not None:
            self._filler.join(timeout=5)

    def _put(self, prepared: PreparedCode) -> None:
        with self._changed:
            if not self._stopped and len(self._ready) < self._size:
                self._ready.append(prepared)
                self._changed.notify_all()

    def _start_filling(self) -> None:
        if self._background and self._filler is None and not self._stopped:
            self._filler = threading.Thread(
                target=self._keep_full, name="service-code-stock", daemon=True
            )
            self._filler.start()

    def _keep_full(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopped or len(self._ready) < self._size)
                if self._stopped:
                    return
            self._put(prepare_code(self._key))
