"""The nesting scan that guards every JSON body agrees with the parser on what nests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatchd.api.limits import is_json, json_depth

TRICKY_TEXT = st.text(alphabet=st.sampled_from('[]{}"\\ aé中\udc00\x00/'), max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(TRICKY_TEXT, children, max_size=4)
    ),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


@given(JSON_VALUES, st.booleans())
def test_the_scan_finds_the_depth_the_parser_builds(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert json_depth(text.encode("utf-8", "surrogatepass")) == _depth(value)


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"", 0),
        (b'"[[["', 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": "]]]"}]}', 3),
        (rb'["\"[[", ["\\"]]', 2),
        ('["中[", [{"é": []}]]'.encode(), 4),
    ],
)
def test_brackets_inside_strings_do_not_count(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


def test_a_hundred_thousand_levels_are_measured_without_recursion() -> None:
    assert json_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("text/plain", False),
        ("text/json", False),
        ("", False),
        ("multipart/form-data; boundary=x", False),
    ],
)
def test_json_media_types_are_recognised(content_type: str, expected: bool) -> None:
    assert is_json(content_type) is expected
