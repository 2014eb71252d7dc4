"""Opaque public identifiers: unguessable, typed by prefix so a log line reads at a glance."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """Return ``<prefix>_`` followed by 80 random bits, so ids never reveal counts or order."""
    return f"{prefix}_{secrets.token_hex(10)}"


def new_secret_token(nbytes: int = 24) -> str:
    """Return a URL-safe capability token (192 bits by default), e.g. a tracking link."""
    return secrets.token_urlsafe(nbytes)
