"""Every refusal of a field the server builds names its kind, and every kind has words.

The clients show a field error by its code (``pf_<code>`` in ``/web/problems.js``), never by
the server's English message, so a ``FieldError`` without a code (or with the catch-all
``invalid``) would reach the user as "This value is not accepted."; a code without a
``pf_`` string in both languages would do the same. The source is read as Python (``ast``), so
a new refusal anywhere in ``src/dispatchd`` is checked the day it is written.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from dispatchd.api.routes.web import WEB_ROOT
from tests.unit.test_string_tables import tables_of

SOURCE = Path(__file__).resolve().parents[2] / "src" / "dispatchd"
PROBLEMS_JS = WEB_ROOT / "shared" / "problems.js"
# Builders of field faults and where each takes its code (and its numbers, if it has them).
BUILDERS = {"FieldError": (2, 3), "TemplateProblem": (0, 2)}
PF_LINE = re.compile(r"""^\s*(pf_\w+):\s*"((?:[^"\\]|\\.)*)",?\s*$""", re.MULTILINE)
PLACEHOLDER = re.compile(r"(?<!\$)\{(\w+)\}")


@dataclass(frozen=True)
class Refusal:
    """One construction of a field fault in the source."""

    where: str
    code: ast.expr | None
    params: ast.expr | None


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == name), None)


def refusals_in(source: str, where: str) -> list[Refusal]:
    """Every ``FieldError(...)`` and ``TemplateProblem(...)`` call in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in BUILDERS:
            continue
        code_at, params_at = BUILDERS[name]
        found.append(
            Refusal(
                f"{where}:{node.lineno}",
                _argument(node, code_at, "code"),
                _argument(node, params_at, "params"),
            )
        )
    return found


def literal_codes(code: ast.expr | None) -> set[str]:
    """The codes an argument can be when it is written out (``"a" if x else "b"`` is both)."""
    if isinstance(code, ast.Constant) and isinstance(code.value, str):
        return {code.value}
    if isinstance(code, ast.IfExp):
        return literal_codes(code.body) | literal_codes(code.orelse)
    return set()


def default_codes(source: str) -> set[str]:
    """Codes given as a ``code`` parameter's default (a helper that builds the fault)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args.args[len(node.args.args) - len(node.args.defaults) :]
            for arg, default in zip(args, node.args.defaults, strict=True):
                if arg.arg == "code":
                    found |= literal_codes(default)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "error":
            found |= literal_codes(_argument(node, 2, "code"))
    return found


def missing_codes(refusals: list[Refusal]) -> list[str]:
    """The refusals that would reach the user as the catch-all: no code, or ``"invalid"``."""
    return [
        r.where
        for r in refusals
        if r.code is None or (isinstance(r.code, ast.Constant) and r.code.value == "invalid")
    ]


def pf_strings(source: str) -> dict[str, dict[str, str]]:
    """The ``pf_`` strings of problems.js, per language."""
    english, _, chinese = source.partition('"zh-CN": {')
    return {
        "en": dict(PF_LINE.findall(english)),
        "zh-CN": dict(PF_LINE.findall(chinese)),
    }


def _modules() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(SOURCE.parent)), path.read_text(encoding="utf-8"))
        for path in sorted(SOURCE.rglob("*.py"))
    ]


def _all_refusals() -> list[Refusal]:
    return [r for where, source in _modules() for r in refusals_in(source, where)]


def test_every_field_error_in_the_source_names_its_kind() -> None:
    refusals = _all_refusals()
    assert len(refusals) > 60
    assert missing_codes(refusals) == []


def test_a_field_error_without_a_code_or_with_the_catch_all_is_found() -> None:
    source = (
        'FieldError("a", "is wrong")\n'
        'FieldError("b", "is wrong", "invalid")\n'
        'FieldError("c", "is wrong", code="invalid")\n'
        'errors.FieldError("d", "is wrong", "too_far", {"days": 3})\n'
        'FieldError("e", "is wrong", kind)\n'
    )
    assert missing_codes(refusals_in(source, "m.py")) == ["m.py:1", "m.py:2", "m.py:3"]


def test_every_code_the_source_gives_has_words_in_both_languages() -> None:
    source = PROBLEMS_JS.read_text(encoding="utf-8")
    [table] = tables_of(source)
    codes = {code for r in _all_refusals() for code in literal_codes(r.code)}
    codes |= {code for _, text in _modules() for code in default_codes(text)}
    assert {"window_in_past", "until_in_past", "hand_back_reason_required"} <= codes
    for language in ("en", "zh-CN"):
        missing = sorted(code for code in codes if f"pf_{code}" not in table[language])
        assert missing == [], f"{language} lacks words for {missing}"


def placeholder_gaps(refusals: list[Refusal], strings: dict[str, dict[str, str]]) -> list[str]:
    """Words that quote a ``{name}`` the refusal does not send in its written-out params."""
    gaps = []
    for refusal in refusals:
        if not isinstance(refusal.params, ast.Dict | None):
            continue
        keys = {
            key.value
            for key in getattr(refusal.params, "keys", [])
            if isinstance(key, ast.Constant)
        }
        for code in literal_codes(refusal.code):
            for language, table in strings.items():
                quoted = set(PLACEHOLDER.findall(table.get(f"pf_{code}", "")))
                if quoted - keys:
                    gaps.append(
                        f"{refusal.where} {code} ({language}) lacks {sorted(quoted - keys)}"
                    )
    return gaps


def test_every_number_the_words_quote_is_one_the_refusal_sends() -> None:
    strings = pf_strings(PROBLEMS_JS.read_text(encoding="utf-8"))
    assert len(strings["en"]) == len(strings["zh-CN"]) > 60
    assert placeholder_gaps(_all_refusals(), strings) == []


def test_a_placeholder_the_refusal_does_not_send_is_found() -> None:
    source = (
        'FieldError("until", "m", "until_too_far")\n'
        'FieldError("until", "m", "until_too_far", {"days": 30})\n'
        'FieldError("until", "m", "until_too_far", {"weeks": 4})\n'
    )
    strings = pf_strings(
        'register({ en: {\n    pf_until_too_far: "At most {days} days; ${x} is kept.",\n'
        '  },\n  "zh-CN": {\n    pf_until_too_far: "最多 {days} 天。",\n'
    )
    assert placeholder_gaps(refusals_in(source, "m.py"), strings) == [
        "m.py:1 until_too_far (en) lacks ['days']",
        "m.py:1 until_too_far (zh-CN) lacks ['days']",
        "m.py:3 until_too_far (en) lacks ['days']",
        "m.py:3 until_too_far (zh-CN) lacks ['days']",
    ]
