"""Numeric hosts mean what the C library says they mean, and only public addresses pass."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from dispatchd.notify.addresses import numeric_host, refusal
from dispatchd.notify.outbound import OutboundGuard, OutboundRefused, host_allowed, host_rule
from tests.outbound import StubResolver

IPV4_FORMS = [
    "127.1",
    "0177.0.0.1",
    "0x7f.1",
    "0x7F.0.0.1",
    "2130706433",
    "017700000001",
    "0x7f000001",
    "10.1",
    "192.168.1",
    "1.2.3",
    "0",
    "255.255.255.255",
    "08",
    "0x",
    "1..2",
    "256.1",
    "1.16777216",
    "1.2.3.4.5",
    "0x1.0x2.0x3.0x4",
]


@pytest.mark.parametrize("text", IPV4_FORMS)
def test_a_numeric_host_is_read_exactly_as_inet_aton_reads_it(text: str) -> None:
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        expected = None
    assert numeric_host(text) == expected


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
        "::7f00:1",
        "2002:a00:1::",
        "2002:7f00:1::",
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",
        "64:ff9b::a00:1",
        "2001:db8::1",
    ],
)
def test_an_address_outside_the_public_internet_is_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["142.250.72.10", "17.188.143.34", "2607:f8b0:4005::200a"])
def test_a_public_unicast_address_passes(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_an_allow_list_entry_names_a_host_and_its_subdomains_and_a_star_only_subdomains() -> None:
    rules = [host_rule("FCM.googleapis.com."), host_rule("*.push.apple.com")]
    assert host_allowed("fcm.googleapis.com", rules)
    assert host_allowed("eu.fcm.googleapis.com", rules)
    assert not host_allowed("evilfcm.googleapis.com", rules)
    assert host_allowed("web.push.apple.com", rules)
    assert not host_allowed("push.apple.com", rules)
    assert not host_allowed("push.apple.com.evil.example", rules)


@pytest.mark.parametrize("entry", ["", "*.", "10.0.0.1", "push example.com", "-a.example.com"])
def test_an_allow_list_entry_that_is_no_host_name_is_refused(entry: str) -> None:
    with pytest.raises(ValueError, match=r"host name|an address"):
        host_rule(entry)


def test_a_host_is_resolved_once_and_every_address_is_returned_for_pinning() -> None:
    resolver = StubResolver()
    destination = OutboundGuard(["fcm.googleapis.com"], resolver).destination(
        "https://fcm.googleapis.com/fcm/send/abc?x=1"
    )
    assert resolver.asked == ["fcm.googleapis.com"]
    assert destination.addresses == ("142.250.72.10", "2607:f8b0:4005:80b::200a")
    assert (destination.host, destination.port, destination.target) == (
        "fcm.googleapis.com",
        443,
        "/fcm/send/abc?x=1",
    )


def test_a_url_refused_by_its_text_is_never_looked_up() -> None:
    resolver = StubResolver()
    with pytest.raises(OutboundRefused):
        OutboundGuard(["*.push.apple.com"], resolver).destination("https://127.1/x")
    assert resolver.asked == []
