"""The service code: six digits the customer gives the installer when the job is done.

Only a salted, peppered scrypt hash is kept. Six digits are few, so the real protection is the
pepper (a deployment key that never enters the database) and the lock after five wrong tries;
scrypt's work factor only slows down someone who holds both the database and the key. The
factor is recorded in each stored hash, so a hash made under an earlier factor still matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

CODE_DIGITS = 6
MAX_WRONG_CODES = 5
#: log2 of scrypt's N for new hashes: 2**9 blocks of 1 KiB, about 1.5 ms on one core.
WORK_FACTOR_LOG2 = 9
#: Hashes written before the factor was recorded (``scrypt$salt$digest``) used 2**11.
_UNRECORDED_FACTOR_LOG2 = 11
#: Factors a stored hash may name; anything else is not one of ours.
_ACCEPTED_FACTORS_LOG2 = range(8, 15)
_SCRYPT_R = 8


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
    """``scrypt$ln=<log2 N>$<salt>$<digest>``: what is stored instead of the code."""
    salt = secrets.token_bytes(16)
    digest = _digest(code, salt, pepper, WORK_FACTOR_LOG2)
    return f"scrypt$ln={WORK_FACTOR_LOG2}${_b64(salt)}${_b64(digest)}"


def service_code_matches(stored: str, candidate: str, pepper: bytes) -> bool:
    """Whether ``candidate`` is the code behind ``stored`` (compared in constant time)."""
    parts = stored.split("$")
    if len(parts) == 3:
        parts.insert(1, f"ln={_UNRECORDED_FACTOR_LOG2}")
    if len(parts) != 4 or parts[0] != "scrypt" or not parts[2] or not parts[3]:
        return False
    factor = _work_factor(parts[1])
    if factor is None:
        return False
    expected = base64.urlsafe_b64decode(parts[3] + "==")
    actual = _digest(candidate, base64.urlsafe_b64decode(parts[2] + "=="), pepper, factor)
    return hmac.compare_digest(expected, actual)


def _work_factor(field: str) -> int | None:
    name, _, value = field.partition("=")
    if name != "ln" or not value.isdigit() or int(value) not in _ACCEPTED_FACTORS_LOG2:
        return None
    return int(value)


def _digest(code: str, salt: bytes, pepper: bytes, factor_log2: int) -> bytes:
    stretched = hashlib.scrypt(
        code.encode(), salt=salt, n=2**factor_log2, r=_SCRYPT_R, p=1, dklen=32
    )
    return hmac.new(pepper, stretched, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
