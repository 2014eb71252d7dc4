"""The deployment key: a secret kept outside the database.

It peppers service-code hashes and encrypts the codes waiting in the outbox, so a copy of the
database alone reveals no code. It comes from ``DISPATCHD_SECRET_KEY`` or, on a single machine,
from a file created once in the data directory.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = "secret.key"


@dataclass(frozen=True)
class DeploymentKey:
    """The key and what is derived from it."""

    raw: bytes

    @property
    def service_code_pepper(self) -> bytes:
        """The pepper mixed into every service-code hash."""
        return hashlib.sha256(self.raw + b"|service-code").digest()

    def _fernet(self) -> Fernet:
        derived = hashlib.sha256(self.raw + b"|outbox").digest()
        return Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> str:
        """Encrypt a secret for storage (authenticated, so tampering is detected)."""
        return self._fernet().encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        """Decrypt what :meth:`seal` produced; raises ValueError if it was not ours."""
        try:
            return self._fernet().decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("sealed value does not match this deployment key") from exc


def load_deployment_key(configured: str | None, data_dir: Path) -> DeploymentKey:
    """The configured key, or the data directory's key file (created on first use, mode 0600)."""
    if configured:
        return DeploymentKey(hashlib.sha256(configured.encode()).digest())
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
    return DeploymentKey(hashlib.sha256(path.read_text().strip().encode()).digest())
