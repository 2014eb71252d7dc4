"""Service codes prepared ahead of time: each handed out once, each matching its own hash."""

from __future__ import annotations

import pytest

from dispatchd.domain.service_code import service_code_matches
from dispatchd.service.keys import DeploymentKey
from dispatchd.service.service_codes import ServiceCodeStock

KEY = DeploymentKey(b"k" * 32)
PEPPER = KEY.service_code_pepper


def test_an_empty_stock_makes_the_code_on_the_spot() -> None:
    stock = ServiceCodeStock(KEY, size=4, background=False)
    prepared = stock.take()
    assert service_code_matches(prepared.stored_hash, prepared.code, PEPPER)
    assert stock.count() == 0


def test_a_prepared_code_is_sealed_for_the_outbox_with_the_deployment_key() -> None:
    stock = ServiceCodeStock(KEY, size=1, background=False)
    stock.fill()
    prepared = stock.take()
    assert prepared.code not in prepared.sealed
    assert KEY.open(prepared.sealed) == prepared.code


def test_filling_tops_the_stock_up_to_its_size_and_no_further() -> None:
    stock = ServiceCodeStock(KEY, size=3, background=False)
    assert stock.fill() == 3
    assert stock.count() == 3
    assert stock.fill() == 0
    stock.take()
    assert stock.count() == 2
    assert stock.fill() == 1


def test_every_prepared_code_matches_its_own_hash_and_no_other_pepper() -> None:
    stock = ServiceCodeStock(KEY, size=5, background=False)
    stock.fill()
    taken = [stock.take() for _ in range(5)]
    assert all(service_code_matches(p.stored_hash, p.code, PEPPER) for p in taken)
    assert not any(service_code_matches(p.stored_hash, p.code, b"q" * 32) for p in taken)


def test_a_prepared_code_is_handed_out_only_once() -> None:
    stock = ServiceCodeStock(KEY, size=8, background=False)
    stock.fill()
    hashes = [stock.take().stored_hash for _ in range(8)]
    assert len(set(hashes)) == 8
    assert stock.count() == 0


def test_a_stopped_stock_forgets_its_codes_and_fills_no_more() -> None:
    stock = ServiceCodeStock(KEY, size=4, background=False)
    stock.fill()
    stock.stop()
    assert stock.count() == 0
    assert stock.fill() == 0


def test_the_background_filler_keeps_the_stock_full_until_stopped() -> None:
    stock = ServiceCodeStock(KEY, size=2)
    first = stock.take()
    try:
        with stock._changed:
            assert stock._changed.wait_for(lambda: len(stock._ready) == 2, timeout=30)
        assert first.stored_hash not in {p.stored_hash for p in stock._ready}
    finally:
        stock.stop()
    assert stock.count() == 0


@pytest.mark.parametrize("size", [1, 2])
def test_taking_more_than_the_stock_holds_still_gives_a_working_code(size: int) -> None:
    stock = ServiceCodeStock(KEY, size=size, background=False)
    stock.fill()
    for _ in range(size + 2):
        prepared = stock.take()
        assert service_code_matches(prepared.stored_hash, prepared.code, PEPPER)
