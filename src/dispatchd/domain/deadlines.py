"""Deadlines: the moment a ladder's next step is due, for one subject.

A deadline is a fact the engine acts on: "run step ``step`` of ``subject_id``'s ladder at
``due_at``". It is written with the state it belongs to and removed when its step has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DeadlineKind(StrEnum):
    """What a deadline does when it comes due."""

    OFFER_STEP = "offer_step"


@dataclass(frozen=True)
class Deadline:
    """A due action: run step ``step`` for ``subject_id`` at ``due_at``."""

    id: int
    kind: DeadlineKind
    subject_id: str
    step: int
    due_at: datetime
    failures: int = 0
