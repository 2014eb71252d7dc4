"""Whose address a request is held against: X-Forwarded-For counts only from trusted proxies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from starlette.requests import Request

from dispatchd.api.client_address import client_address, parse_trusted_proxies
from dispatchd.config import Settings

PROXIES = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8, fd00::/8")


def request_from(peer: str | None, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/auth/token",
        "headers": headers,
        "client": None if peer is None else (peer, 51000),
    }
    return Request(scope)


def test_without_trusted_proxies_the_header_is_ignored_even_from_loopback() -> None:
    request = request_from("127.0.0.1", "198.51.100.7")
    assert client_address(request, ()) == "127.0.0.1"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    request = request_from("203.0.113.9", "198.51.100.7")
    assert client_address(request, PROXIES) == "203.0.113.9"


def test_a_trusted_proxy_is_believed_about_the_address_it_received_from() -> None:
    request = request_from("127.0.0.1", "198.51.100.7")
    assert client_address(request, PROXIES) == "198.51.100.7"


def test_addresses_a_client_wrote_itself_left_of_the_real_one_are_ignored() -> None:
    request = request_from("127.0.0.1", "1.1.1.1, 2.2.2.2, 198.51.100.7")
    assert client_address(request, PROXIES) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_skipped_from_the_right() -> None:
    request = request_from("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", "10.9.9.9")
    assert client_address(request, PROXIES) == "198.51.100.7"


def test_a_chain_of_nothing_but_trusted_proxies_is_held_against_the_furthest() -> None:
    request = request_from("127.0.0.1", "10.0.0.5, 10.0.0.6")
    assert client_address(request, PROXIES) == "10.0.0.5"


def test_a_trusted_peer_without_the_header_is_itself_the_client() -> None:
    assert client_address(request_from("10.0.0.5"), PROXIES) == "10.0.0.5"


def test_garbage_in_the_chain_stops_at_the_last_trusted_hop() -> None:
    request = request_from("127.0.0.1", "198.51.100.7, not-an-address")
    assert client_address(request, PROXIES) == "127.0.0.1"


def test_ports_and_bracketed_ipv6_hops_are_read_as_their_addresses() -> None:
    request = request_from("127.0.0.1", "[2001:db8::1]:4711, 198.51.100.7:8080")
    assert client_address(request, PROXIES) == "198.51.100.7"
    only_v6 = request_from("fd00::1", "[2001:db8::1]:4711")
    assert client_address(only_v6, PROXIES) == "2001:db8::1"


def test_an_ipv4_mapped_peer_counts_as_its_ipv4_address() -> None:
    request = request_from("::ffff:127.0.0.1", "198.51.100.7")
    assert client_address(request, PROXIES) == "198.51.100.7"


def test_a_request_without_a_peer_is_held_against_one_shared_unknown() -> None:
    assert client_address(request_from(None, "198.51.100.7"), PROXIES) == "unknown"


def test_a_bad_trusted_proxy_entry_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'.*e\.g\. 127\.0\.0\.1"):
        parse_trusted_proxies("127.0.0.1, 10.0.0.0/33")


def test_an_empty_trusted_proxy_list_trusts_nobody() -> None:
    assert parse_trusted_proxies("") == ()
    assert parse_trusted_proxies(" , ") == ()


def test_the_settings_refuse_to_start_with_a_bad_trusted_proxy() -> None:
    with pytest.raises(ValidationError, match=r"DISPATCHD_TRUSTED_PROXIES: 'proxy\.internal'"):
        Settings(environment="test", trusted_proxies="127.0.0.1,proxy.internal")
