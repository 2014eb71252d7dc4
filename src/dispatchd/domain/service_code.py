"""The service code: six digits the customer gives the installer when the job is done.

Only a salted, peppered scrypt hash is kept. Six digits are few, so the real protection is the
pepper (a deployment key that never enters the database) and the lock after five wrong tries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

CODE_DIGITS = 6
MAX_WRONG_CODES = 5
_SCRYPT = {"n": 2**11, "r": 8, "p": 1}


def new_service_code() -> str:
    """A fresh six-digit code from the operating system's secure random source."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalize_service_code(raw: str) -> str | None:
    """The code as six digits (spaces and dashes ignored), or None if it cannot be one."""
    digits = "".join(ch for ch in raw if ch not in " -")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def hash_service_code(code: str, pepper: bytes) -> str:
    """``scrypt$<salt>$<digest>``: what is stored instead of the code."""
    salt = secrets.token_bytes(16)
    return f"scrypt${_b64(salt)}${_b64(_digest(code, salt, pepper))}"


def service_code_matches(stored: str, candidate: str, pepper: bytes) -> bool:
    """Whether ``candidate`` is the code behind ``stored`` (compared in constant time)."""
    scheme, _, rest = stored.partition("$")
    salt_text, _, digest_text = rest.partition("$")
    if scheme != "scrypt" or not salt_text or not digest_text:
        return False
    expected = base64.urlsafe_b64decode(digest_text + "==")
    actual = _digest(candidate, base64.urlsafe_b64decode(salt_text + "=="), pepper)
    return hmac.compare_digest(expected, actual)


def _digest(code: str, salt: bytes, pepper: bytes) -> bytes:
    stretched = hashlib.scrypt(code.encode(), salt=salt, dklen=32, **_SCRYPT)
    return hmac.new(pepper, stretched, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
