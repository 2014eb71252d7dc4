"""Opaque paging cursors: a position in "newest first" order that survives new arrivals."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from dispatchd.api.problems import Problem
from dispatchd.domain.errors import FieldError
from dispatchd.store.types import from_micros, to_micros


def encode_cursor(created_at: datetime, order_id: str) -> str:
    """The cursor pointing just after this order."""
    raw = f"{to_micros(created_at)}:{order_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor points after, or a 422 saying to use ``next_cursor`` as given."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        micros, _, order_id = base64.urlsafe_b64decode(padded).decode().partition(":")
        if not order_id:
            raise ValueError("no id")
        return from_micros(int(micros)), order_id
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError) as exc:
        raise Problem(
            422,
            "cursor is not one this server issued; pass next_cursor from the previous page "
            "unchanged",
            "invalid-input",
            [FieldError("cursor", "is malformed", "cursor_malformed")],
        ) from exc
