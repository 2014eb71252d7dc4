"""The one check every URL passes before the server connects to it on someone's behalf.

Phones register push endpoints (and integrations will register webhooks) that the server
later POSTs to from inside its own network. :class:`OutboundGuard` turns such a URL into a
:class:`Destination` only if it is ``https``, names an allowed host, and every address the
host resolves to is public; the connection is then made to one of exactly those addresses
(:mod:`dispatchd.notify.pinned_https`), so a second lookup cannot point it elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from dispatchd.notify.addresses import numeric_host, refusal

Resolver = Callable[[str, int], Sequence[str]]
"""Host name and port → the addresses to connect to (as text)."""

HTTPS_PORT = 443
MAX_URL = 2000
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOCAL_NAMES = ("localhost", "localdomain", "local", "internal", "lan", "arpa")


class OutboundRefused(Exception):
    """The URL breaks a rule; nothing was or will be sent to it. The message names the rule."""


@dataclass(frozen=True)
class Destination:
    """A checked URL: the host to name in TLS and ``Host``, and the addresses to dial."""

    url: str
    host: str
    port: int
    target: str
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> Sequence[str]:
    """Every address the operating system's resolver gives for ``host``."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def host_rule(entry: str) -> str:
    """One allow-list entry, normalised: ``push.example.com`` or ``*.push.example.com``.

    Raises ValueError naming what is wrong, for the settings to report at start.
    """
    rule = entry.strip().lower().rstrip(".")
    name = rule.removeprefix("*.")
    if not name or not all(_LABEL.match(label) for label in name.split(".")):
        raise ValueError(f"{entry!r} is not a host name or *.host name")
    if numeric_host(name) is not None:
        raise ValueError(f"{entry!r} is an address; list push services by host name")
    return rule


def host_allowed(host: str, rules: Sequence[str]) -> bool:
    """Whether ``host`` is named by an allow-list entry (``*.`` matches names under it only)."""
    for rule in rules:
        if rule.startswith("*."):
            if host.endswith(rule[1:]):
                return True
        elif host == rule or host.endswith("." + rule):
            return True
    return False


class OutboundGuard:
    """Checks outbound URLs against the rules and an allow-list of host names."""

    def __init__(self, allowed_hosts: Sequence[str], resolver: Resolver = system_resolver) -> None:
        self._rules = tuple(host_rule(entry) for entry in allowed_hosts)
        self._resolver = resolver

    def check_url(self, url: str) -> tuple[str, int, str]:
        """The URL's host, port and request target, if its text breaks no rule (no lookup)."""
        if len(url) > MAX_URL:
            raise OutboundRefused(f"is longer than {MAX_URL} characters")
        try:
            parts = urlsplit(url)
            port = parts.port or HTTPS_PORT
            host = (parts.hostname or "").rstrip(".")
        except ValueError:
            raise OutboundRefused("is not a URL") from None
        if parts.scheme != "https":
            raise OutboundRefused("must be an https:// URL")
        if "@" in parts.netloc:
            raise OutboundRefused("must not carry a user name or password")
        if not host:
            raise OutboundRefused("must name a host")
        literal = numeric_host(host)
        if literal is not None:
            problem = refusal(literal)
            raise OutboundRefused(
                f"must name the service by host name, not by address ({problem})"
                if problem
                else "must name the service by host name, not by address"
            )
        if not all(_LABEL.match(label) for label in host.split(".")):
            raise OutboundRefused("must name a host by an ASCII DNS name")
        if _is_local_name(host):
            raise OutboundRefused("must be a public host, not a local name")
        if not host_allowed(host, self._rules):
            raise OutboundRefused(
                f"host {host} is not a known push service (allowed: {', '.join(self._rules)})"
            )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return host, port, target

    def destination(self, url: str) -> Destination:
        """Check the URL, resolve its host once, and check every address it resolves to."""
        host, port, target = self.check_url(url)
        try:
            found = list(dict.fromkeys(self._resolver(host, port)))
        except (OSError, UnicodeError) as exc:
            raise OutboundRefused(f"host {host} could not be resolved ({exc})") from None
        if not found:
            raise OutboundRefused(f"host {host} has no address")
        for text in found:
            problem = _address_problem(text)
            if problem:
                raise OutboundRefused(f"host {host} resolves to a refused address: {problem}")
        return Destination(url, host, port, target, tuple(found))


def _is_local_name(host: str) -> bool:
    return any(host == name or host.endswith("." + name) for name in _LOCAL_NAMES)


def _address_problem(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return f"{text!r}, which is not an address"
    return refusal(address)
