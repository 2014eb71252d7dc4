"""Opaque public identifiers: unguessable, typed by prefix so a log line reads at a glance."""

from __future__ import annotations

import base64
import secrets


def new_id(prefix: str) -> str:
    """Return ``<prefix>_`` followed by 80 random bits, so ids never reveal counts or order."""
    token = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return f"{prefix}_{token}"


def new_secret_token(nbytes: int = 24) -> str:
    """Return a URL-safe capability token (192 bits by default), e.g. a tracking link."""
    return secrets.token_urlsafe(nbytes)
