"""Which network addresses the server may open a connection to on a caller's behalf.

A URL a phone registers is later fetched by the server, so a URL that names the server's own
network (loopback, the LAN, the cloud's metadata service) would let anyone reach it. Only
globally routable unicast addresses pass. Addresses written as numbers are read the way the
C library's ``inet_aton`` reads them (``127.1``, ``0177.0.0.1``, ``0x7f.1`` and ``2130706433``
all mean 127.0.0.1), because that is how the connection would be made.
"""

from __future__ import annotations

import ipaddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_DECIMAL = frozenset("0123456789")
_OCTAL = frozenset("01234567")
_HEX = frozenset("0123456789abcdef")


def numeric_host(host: str) -> Address | None:
    """The address a host written as a number stands for, or None if it is a name.

    ``host`` is a URL's host without brackets; IPv6 literals and every ``inet_aton`` form of
    IPv4 (one to four parts, each decimal, octal with a leading 0 or hex with 0x) count.
    """
    try:
        return ipaddress.IPv6Address(host)
    except ValueError:
        pass
    value = _inet_aton(host)
    return None if value is None else ipaddress.IPv4Address(value)


def refusal(address: Address) -> str | None:
    """Why a connection to ``address`` is not allowed, in words, or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address) and not (
        address.is_loopback or address.is_unspecified
    ):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            if address.ipv4_mapped is not None or address in _IPV4_COMPATIBLE:
                return f"{address} is the IPv4 address {embedded} written as IPv6"
            inner = _kind(embedded)
            if inner is not None:
                return f"{address} leads to {embedded}, {inner} address"
    kind = _kind(address)
    return None if kind is None else f"{address} is {kind} address"


def _kind(address: Address) -> str | None:
    checks: list[tuple[bool, str]] = [
        (address.is_unspecified, "an unspecified"),
        (address.is_loopback, "a loopback"),
        (address.is_link_local, "a link-local"),
        (address.is_multicast, "a multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "a carrier-grade NAT"),
        (address.is_private, "a private"),
        (address.is_reserved, "a reserved"),
        (not address.is_global, "a non-public"),
    ]
    return next((name for hit, name in checks if hit), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition form leads to, if it is one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _IPV4_COMPATIBLE or any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _inet_aton(text: str) -> int | None:
    """The 32-bit value ``inet_aton`` would give ``text``, or None if it would refuse it."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_c_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = [number for number in numbers if number is not None]
    *leading, last = values
    if any(value > 0xFF for value in leading) or last >= 1 << (8 * (5 - len(values))):
        return None
    result = 0
    for value in leading:
        result = result << 8 | value
    return result << (8 * (5 - len(values))) | last


def _c_number(part: str) -> int | None:
    """A number as ``inet_aton`` reads one part: 0x… hex, 0… octal, else decimal."""
    lowered = part.lower()
    if lowered.startswith("0x"):
        digits, base, allowed = lowered[2:], 16, _HEX
    elif lowered.startswith("0"):
        digits, base, allowed = lowered, 8, _OCTAL
    else:
        digits, base, allowed = lowered, 10, _DECIMAL
    if not digits or not set(digits) <= allowed:
        return None
    return int(digits, base)
