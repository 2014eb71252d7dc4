"""A command's rendered answer, as the API sends it and the idempotency store replays it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """Status code and JSON body of a command's response."""

    status_code: int
    body: Any


@dataclass(frozen=True)
class IdempotencyRequest:
    """The caller's ``Idempotency-Key`` and a fingerprint of the request it came with."""

    key: str
    request_hash: str
