"""Group commit: many commands, one transaction commit, each command still all-or-nothing.

On SQLite every commit waits for the disk (fsync). A single writer thread therefore takes
every command waiting at that moment, runs each inside its own savepoint of one transaction,
and commits once; only after that commit does any caller get its answer. A command that
fails rolls back its savepoint alone and its caller gets the error; nothing is acknowledged
before it is durable.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import structlog

from dispatchd.service.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

Work = Callable[[UnitOfWork], Any]
Transaction = Callable[[], AbstractContextManager[UnitOfWork]]


@dataclass
class _Job:
    work: Work
    future: Future[Any] = field(default_factory=Future)


class GroupCommitter:
    """The writer thread and its queue of commands."""

    def __init__(self, transaction: Transaction, max_batch: int = 64) -> None:
        self._transaction = transaction
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.commands = 0

    def submit(self, work: Work) -> Any:
        """Run ``work`` in the next shared transaction; returns its result once committed."""
        self._ensure_started()
        job = _Job(work)
        self._queue.put(job)
        return job.future.result()

    def stop(self) -> None:
        """Finish the queued commands, then stop the writer thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(30)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            stop = False
            while len(jobs) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
            self._run_batch(jobs)
            if stop:
                return

    def _run_batch(self, jobs: list[_Job]) -> None:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            with self._transaction() as uow:
                for job in jobs:
                    try:
                        with uow.savepoint() as unit:
                            result = job.work(unit)
                            unit.check_all_saved()
                        outcomes.append((job, result, None))
                    except Exception as exc:
                        outcomes.append((job, None, exc))
        except Exception as exc:
            log.exception("group commit failed; every command of the batch is refused")
            for job in jobs:
                job.future.set_exception(exc)
            return
        self.batches += 1
        self.commands += len(jobs)
        for job, result, error in outcomes:
            if error is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(error)
