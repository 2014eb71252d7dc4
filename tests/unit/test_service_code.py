"""Service codes: six random digits, kept only as a peppered hash, locked after five misses."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from dispatchd.domain.errors import IllegalTransition, InvalidInput
from dispatchd.domain.geo import Point
from dispatchd.domain.orders import CompletionProof, Customer, Order, OrderStatus
from dispatchd.domain.service_code import (
    MAX_WRONG_CODES,
    WORK_FACTOR_LOG2,
    hash_service_code,
    new_service_code,
    normalize_service_code,
    service_code_matches,
)

PEPPER = b"p" * 32
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_a_new_code_is_six_digits() -> None:
    codes = {new_service_code() for _ in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 150


def test_the_stored_hash_reveals_nothing_of_the_code() -> None:
    stored = hash_service_code("123456", PEPPER)
    assert "123456" not in stored
    assert stored.startswith("scrypt$")
    assert hash_service_code("123456", PEPPER) != stored


def test_only_the_right_code_with_the_right_pepper_matches() -> None:
    stored = hash_service_code("123456", PEPPER)
    assert service_code_matches(stored, "123456", PEPPER)
    assert not service_code_matches(stored, "123457", PEPPER)
    assert not service_code_matches(stored, "123456", b"q" * 32)
    assert not service_code_matches("not-a-hash", "123456", PEPPER)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("12345", None),
        ("1234567", None),
        ("12a456", None),
        ("١٢٣٤٥٦", None),
    ],
)
def test_a_typed_code_is_normalised_or_refused(raw: str, expected: str | None) -> None:
    assert normalize_service_code(raw) == expected


def _started_order() -> Order:
    order = Order.create(
        "ord_1",
        "zon_1",
        Customer("Li", "+8613912345678"),
        "x",
        Point(31.2, 121.4),
        "AC",
        NOW,
        "tok",
    )
    order.status = OrderStatus.IN_PROGRESS
    order.installer_id = "ins_1"
    return order


def test_five_wrong_codes_lock_the_code() -> None:
    order = _started_order()
    left = [order.record_wrong_service_code() for _ in range(MAX_WRONG_CODES)]
    assert left == [4, 3, 2, 1, 0]
    assert order.service_code_locked
    with pytest.raises(IllegalTransition, match="locked"):
        order.record_wrong_service_code()


def test_a_completion_without_a_confirmed_code_is_flagged_by_why() -> None:
    missing = _started_order()
    assert missing.complete(NOW, CompletionProof("k", None, None, False)) == "missing_service_code"
    locked = _started_order()
    for _ in range(MAX_WRONG_CODES):
        locked.record_wrong_service_code()
    assert locked.complete(NOW, CompletionProof("k", None, None, False)) == "service_code_mismatch"
    confirmed = _started_order()
    assert confirmed.complete(NOW, CompletionProof("k", None, None, True)) is None
    assert confirmed.flags == []


def test_the_order_checks_a_typed_code_and_counts_only_the_wrong_ones() -> None:
    order = _started_order()
    order.service_code_hash = hash_service_code("123456", PEPPER)
    assert order.check_service_code("123 456", PEPPER) is None
    assert order.service_code_failures == 0
    assert order.check_service_code("654321", PEPPER) == MAX_WRONG_CODES - 1
    with pytest.raises(InvalidInput, match="6 digits"):
        order.check_service_code("12ab56", PEPPER)
    assert order.service_code_failures == 1


def test_a_locked_code_is_refused_even_when_it_is_right() -> None:
    order = _started_order()
    order.service_code_hash = hash_service_code("123456", PEPPER)
    for _ in range(MAX_WRONG_CODES):
        order.record_wrong_service_code()
    with pytest.raises(InvalidInput, match=f"locked after {MAX_WRONG_CODES} wrong codes"):
        order.check_service_code("123456", PEPPER)


def test_a_new_hash_records_its_work_factor() -> None:
    stored = hash_service_code("123456", PEPPER)
    assert stored.split("$")[1] == f"ln={WORK_FACTOR_LOG2}"


def test_a_hash_stored_before_the_factor_was_recorded_still_matches() -> None:
    salt = b"s" * 16
    stretched = hashlib.scrypt(b"123456", salt=salt, n=2**11, r=8, p=1, dklen=32)
    digest = hmac.new(PEPPER, stretched, hashlib.sha256).digest()
    legacy = f"scrypt${_unpadded(salt)}${_unpadded(digest)}"
    assert service_code_matches(legacy, "123456", PEPPER)
    assert not service_code_matches(legacy, "654321", PEPPER)


def _unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("field", ["ln=3", "ln=40", "ln=", "n=9", "ln=x"])
def test_a_hash_naming_a_work_factor_outside_the_accepted_range_never_matches(
    field: str,
) -> None:
    parts = hash_service_code("123456", PEPPER).split("$")
    parts[1] = field
    assert not service_code_matches("$".join(parts), "123456", PEPPER)
