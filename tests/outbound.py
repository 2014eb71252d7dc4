"""Stand-ins for the network in outbound tests: a resolver that answers from a table.

Names under the default push services resolve to public addresses; a few resolve to addresses
the guard must refuse, so the checks after resolution are tested without any DNS.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence

PUSH_SERVICE_ADDRESSES: Mapping[str, Sequence[str]] = {
    "fcm.googleapis.com": ["142.250.72.10", "2607:f8b0:4005:80b::200a"],
    "updates.push.services.mozilla.com": ["34.117.65.55"],
    "web.push.apple.com": ["17.188.143.34"],
    "private.notify.windows.com": ["10.20.30.40"],
    "mixed.push.apple.com": ["17.188.143.35", "192.168.0.5"],
    "loopback.notify.windows.com": ["127.0.0.1"],
    "mapped.push.apple.com": ["::ffff:127.0.0.1"],
    "metadata.notify.windows.com": ["169.254.169.254"],
    "cgnat.push.apple.com": ["100.64.0.1"],
}


class StubResolver:
    """Answers host lookups from a table and remembers every lookup it was asked."""

    def __init__(self, table: Mapping[str, Sequence[str]] = PUSH_SERVICE_ADDRESSES) -> None:
        self.table = dict(table)
        self.asked: list[str] = []

    def __call__(self, host: str, _port: int) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]
