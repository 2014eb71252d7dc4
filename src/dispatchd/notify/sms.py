"""SMS channels: an Apprise URL for a real gateway, or a JSON-lines file for development.

Every message carries its outbox id as ``ref``. The file sink drops a message whose ref it has
already written, so a relay that crashed after delivering but before recording it does not
send it twice; gateways reached through Apprise get the ref in the title for the same purpose.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import unquote, urlparse

import apprise


@dataclass(frozen=True)
class Sms:
    """One text message to one phone."""

    ref: int
    to: str
    body: str
    order_id: str | None
    at: str


class DeliveryFailed(Exception):
    """The channel did not take the message; the relay retries later."""


class SmsChannel(Protocol):
    """Anything that can send an SMS."""

    def send(self, message: Sms) -> None:
        """Deliver the message or raise DeliveryFailed."""
        ...


class FileSink:
    """Appends one JSON line per message, at most once per ref (across processes, too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: set[int] = set()
        self._read_up_to = 0

    def send(self, message: Sms) -> None:
        """Append the message unless its ref is already in the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._catch_up(handle)
            if message.ref in self._seen:
                return
            line = {
                "to": message.to,
                "body": message.body,
                "order_id": message.order_id,
                "at": message.at,
                "ref": message.ref,
            }
            handle.seek(0, os.SEEK_END)
            handle.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
            self._read_up_to = handle.tell()
            self._seen.add(message.ref)

    def _catch_up(self, handle: IO[bytes]) -> None:
        handle.seek(self._read_up_to)
        for raw in handle.read().splitlines():
            try:
                ref = json.loads(raw).get("ref")
            except ValueError:
                continue
            if isinstance(ref, int):
                self._seen.add(ref)
        self._read_up_to = handle.tell()


class AppriseChannel:
    """Sends through any gateway Apprise knows, addressed by URL."""

    def __init__(self, url: str) -> None:
        self._apprise = apprise.Apprise()
        if not self._apprise.add(url):
            raise ValueError("DISPATCHD_SMS_URL is not a URL Apprise understands")

    def send(self, message: Sms) -> None:
        """Hand the message to the gateway."""
        title = f"dispatchd message {message.ref} to {message.to}"
        ok = self._apprise.notify(title=title, body=message.body)
        if not ok:
            raise DeliveryFailed("the SMS gateway refused or did not answer")


class NoChannel:
    """No gateway configured: every message fails, so it waits in the outbox (and alerts)."""

    def send(self, message: Sms) -> None:
        """Refuse: there is nowhere to send."""
        raise DeliveryFailed("no SMS channel configured (set DISPATCHD_SMS_URL)")


def sms_file_path(url: str) -> Path:
    """The file a ``file://`` SMS URL names; it must be absolute (``file:///path``).

    ``file://data/sms.jsonl`` reads as host ``data`` and path ``/sms.jsonl``: messages would
    land at the filesystem root, so such a URL is refused instead of silently misread.
    """
    parsed = urlparse(url)
    if parsed.netloc not in ("", "localhost"):
        raise ValueError(
            f"DISPATCHD_SMS_URL {url!r} names host {parsed.netloc!r}; a file URL needs an "
            f"absolute path, e.g. file:///var/lib/dispatchd/sms.jsonl"
        )
    return Path(unquote(parsed.path))


def sms_channel(url: str | None, data_dir: Path) -> SmsChannel:
    """The channel for ``DISPATCHD_SMS_URL`` (development default: a file in the data dir)."""
    if not url:
        return FileSink(data_dir / "sms.jsonl")
    if url.startswith("file://"):
        return FileSink(sms_file_path(url))
    if url == "none":
        return NoChannel()
    return AppriseChannel(url)
