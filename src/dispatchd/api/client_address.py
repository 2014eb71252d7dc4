"""Who is asking: the client's address, believing ``X-Forwarded-For`` only from trusted proxies.

Anyone can send an ``X-Forwarded-For`` header, so it says nothing unless the peer that sent it
is a proxy the deployment named in ``DISPATCHD_TRUSTED_PROXIES``. Each proxy appends the
address it received the request from, so the header is read from the right: trusted proxies
are skipped, and the first address that is not one of them is the client. Whatever is left
of that address (further left) was written by the client itself and is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """The networks in a comma-separated list of addresses and CIDRs; ValueError names a bad one."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"DISPATCHD_TRUSTED_PROXIES: {item!r} is neither an IP address nor a CIDR "
                "network; write e.g. 127.0.0.1,10.0.0.0/8,fd00::/8"
            ) from None
    return tuple(networks)


def client_address(request: Request, trusted: Sequence[Network]) -> str:
    """The address to hold the request's client responsible by (for rate limits and logs)."""
    if request.client is None:
        return UNKNOWN
    peer = _address(request.client.host)
    if peer is None:
        return request.client.host or UNKNOWN
    if not _is_trusted(peer, trusted):
        return str(peer)
    return str(_forwarded_client(peer, request.headers.getlist("x-forwarded-for"), trusted))


def _forwarded_client(peer: Address, headers: Iterable[str], trusted: Sequence[Network]) -> Address:
    """The right-most address in the chain that is not a trusted proxy.

    A hop that is not an address at all ends the walk at the last trusted proxy: that proxy
    is the last party whose word is good, so the request is held against it.
    """
    hops = [hop.strip() for header in headers for hop in header.split(",")]
    believed = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return believed
        if not _is_trusted(address, trusted):
            return address
        believed = address
    return believed


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _address(text: str) -> Address | None:
    """An address as proxies write it: bare, with a port (``1.2.3.4:80``) or ``[v6]:port``."""
    candidate = text.strip()
    if candidate.startswith("["):
        candidate = candidate[1:].partition("]")[0]
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
