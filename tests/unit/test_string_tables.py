"""Every key a page's code or HTML asks the string tables for exists in English and Chinese,
and no table has a key in one language that the other lacks.

A page's tables are those of the modules it loads (its entry module and what that imports,
transitively). Keys are read where the clients name them: ``t("key")`` (every key-like string
literal of the first argument that is not compared), ``has("key")``, ``data-i18n*`` attributes
in HTML and in ``h()`` attributes, and ``dataset.i18n = "key"``. A key built from a template,
``t(`status_${...}`)``, must exist for every value of the domain's list named for its prefix,
or, for a prefix without such a list, for at least one key with that prefix.
"""

from __future__ import annotations

import re
from pathlib import Path

from dispatchd.api.routes.web import WEB_ROOT
from dispatchd.domain.alerts import AlertType
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.offers import OfferStatus
from dispatchd.domain.orders import OrderStatus
from dispatchd.domain.promises import PromiseKind

LANGUAGES = ("en", "zh-CN")
PAGES = {
    "installer app": (WEB_ROOT / "installer" / "main.js", [WEB_ROOT / "installer" / "index.html"]),
    "console": (WEB_ROOT / "console" / "main.js", [WEB_ROOT / "console" / "index.html"]),
    "tracking page": (WEB_ROOT / "track" / "main.js", []),
}
ENUMS: dict[str, list[str]] = {
    "status_": [s.value for s in OrderStatus],
    "offer_": [s.value for s in OfferStatus],
    "next_": [s.value for s in StepAction],
    "promise_": [k.value for k in PromiseKind],
    "promise_due_": [k.value for k in PromiseKind],
    "alert_": [a.value for a in AlertType],
}
MOUNTS = {"/web/": "shared", "/app/": "installer", "/console/": "console", "/track/": "track"}
IMPORT = re.compile(
    r"""(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\s+["']([^"']+)["']"""
)
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
STRING = re.compile(r""""((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'""")


def _resolve(module: Path, spec: str) -> Path | None:
    for mount, folder in MOUNTS.items():
        if spec.startswith(mount):
            return WEB_ROOT / folder / spec[len(mount) :]
    if spec.startswith("."):
        return (module.parent / spec).resolve()
    return None


def modules_of(entry: Path) -> list[Path]:
    """The entry module and every module it imports, transitively."""
    seen: list[Path] = []
    todo = [entry.resolve()]
    while todo:
        module = todo.pop()
        if module in seen or not module.exists():
            continue
        seen.append(module)
        for found in IMPORT.finditer(module.read_text(encoding="utf-8")):
            target = _resolve(module, found.group(1) or found.group(2))
            if target is not None:
                todo.append(target)
    return seen


def _tokens(source: str) -> list[str]:
    pattern = re.compile(
        r"""//[^\n]*|/\*.*?\*/|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|[A-Za-z_$][\w$-]*|\S""",
        re.S,
    )
    return [tok for tok in pattern.findall(source) if not tok.startswith(("//", "/*"))]


def tables_of(source: str) -> list[dict[str, set[str]]]:
    """The keys of each language in every ``register({...})`` call of a module."""
    tokens = _tokens(source)
    found = []
    for at, token in enumerate(tokens):
        if token != "register" or tokens[at + 1 : at + 3] != ["(", "{"]:
            continue
        table: dict[str, set[str]] = {}
        depth, lang, i = 0, None, at + 2
        expect_key = False
        while i < len(tokens):
            tok = tokens[i]
            if tok == "{":
                depth += 1
                expect_key = True
            elif tok == "}":
                depth -= 1
                if depth == 0:
                    break
            elif tok == ",":
                expect_key = True
            elif expect_key and tokens[i + 1] == ":":
                name = tok.strip("\"'")
                if depth == 1:
                    lang = name
                    table.setdefault(lang, set())
                elif depth == 2 and lang is not None:
                    table[lang].add(name)
                expect_key = False
            else:
                expect_key = False
            i += 1
        found.append(table)
    return found


def _first_argument(tokens: list[str], start: int) -> list[str]:
    depth, out = 0, []
    for tok in tokens[start:]:
        if tok in "([{":
            depth += 1
        elif tok in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif tok == "," and depth == 0:
            break
        out.append(tok)
    return out


def used_keys(source: str) -> tuple[set[str], set[str]]:
    """Keys a module names, and prefixes of the keys it builds from templates."""
    keys: set[str] = set()
    prefixes: set[str] = set()
    tokens = _tokens(source)
    for at, tok in enumerate(tokens):
        if (
            tok in ("t", "has")
            and tokens[at + 1 : at + 2] == ["("]
            and tokens[at - 1] not in (".", "function")
        ):
            arg = _first_argument(tokens, at + 2)
            for i, part in enumerate(arg):
                if part[0] in "\"'" and KEY.match(part[1:-1]):
                    near = arg[max(0, i - 1) : i] + arg[i + 1 : i + 2]
                    if not any(op in ("=", "!", "==", "===", "!==", "!=") for op in near):
                        keys.add(part[1:-1])
                elif part.startswith("`"):
                    prefix = part[1:].split("${", 1)[0]
                    if "${" in part and prefix:
                        prefixes.add(prefix)
                    elif "${" not in part and KEY.match(part[1:-1]):
                        keys.add(part[1:-1])
        if tok.strip("\"'").startswith("data-i18n") and tokens[at + 1 : at + 2] == [":"]:
            value = tokens[at + 2]
            if value[0] in "\"'" and KEY.match(value[1:-1]):
                keys.add(value[1:-1])
        if tok == "i18n" and tokens[at - 1] == "." and tokens[at + 1] == "=":
            value = tokens[at + 2]
            if value[0] in "\"'" and KEY.match(value[1:-1]):
                keys.add(value[1:-1])
    return keys, prefixes


def html_keys(html: str) -> set[str]:
    """Keys named by ``data-i18n`` attributes (and their aria-label, title, … forms)."""
    return set(re.findall(r"""data-i18n(?:-[a-z-]+)?=["']([a-z][a-z0-9_]*)["']""", html))


def page_words(entry: Path) -> dict[str, set[str]]:
    """The keys each language has on a page, over every table its modules register."""
    words: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
    for module in modules_of(entry):
        for table in tables_of(module.read_text(encoding="utf-8")):
            for lang in LANGUAGES:
                words[lang] |= table.get(lang, set())
    return words


def problems_of(entry: Path, pages: list[Path]) -> list[str]:
    """What is wrong with one page's strings, in words a fixer can act on."""
    found: list[str] = []
    words = page_words(entry)
    for module in modules_of(entry):
        for table in tables_of(module.read_text(encoding="utf-8")):
            en, zh = table.get("en", set()), table.get("zh-CN", set())
            for key in sorted(en - zh):
                found.append(f"{module.name}: {key!r} has English but no zh-CN")
            for key in sorted(zh - en):
                found.append(f"{module.name}: {key!r} has zh-CN but no English")
    for module in modules_of(entry):
        keys, prefixes = used_keys(module.read_text(encoding="utf-8"))
        for key in sorted(keys):
            for lang in LANGUAGES:
                if key not in words[lang]:
                    found.append(f"{module.name} uses {key!r}, missing in {lang}")
        for prefix in sorted(prefixes):
            for lang in LANGUAGES:
                values = ENUMS.get(prefix)
                if values is not None:
                    for value in values:
                        if prefix + value not in words[lang]:
                            found.append(
                                f"{module.name} builds {prefix}…: "
                                f"{prefix + value!r} missing in {lang}"
                            )
                elif not any(word.startswith(prefix) for word in words[lang]):
                    found.append(f"{module.name} builds {prefix}… but {lang} has no such key")
    for page in pages:
        for key in sorted(html_keys(page.read_text(encoding="utf-8"))):
            for lang in LANGUAGES:
                if key not in words[lang]:
                    found.append(f"{page.name} uses {key!r}, missing in {lang}")
    return found


def test_every_page_finds_every_key_it_uses_in_both_languages() -> None:
    found = {name: problems_of(entry, pages) for name, (entry, pages) in PAGES.items()}
    assert found == {name: [] for name in PAGES}


def test_the_walk_finds_the_tables_and_the_keys_of_each_page() -> None:
    for entry, _ in PAGES.values():
        modules = modules_of(entry)
        assert any(module.name == "strings.js" for module in modules), entry
        assert len(page_words(entry)["en"]) > 30, entry
        assert set().union(*(used_keys(m.read_text(encoding="utf-8"))[0] for m in modules)), entry


def test_a_missing_translation_and_an_unknown_key_are_reported() -> None:
    source = 'register({ en: { a_key: "A", b_key: "B" }, "zh-CN": { a_key: "甲" } });'
    (table,) = tables_of(source)
    assert table["en"] - table["zh-CN"] == {"b_key"}
    keys, prefixes = used_keys(
        't("a_key"); t(x === "not_me" ? "yes_me" : "no_me", { n: "arg" }); t(`status_${s}`);'
    )
    assert keys == {"a_key", "yes_me", "no_me"}
    assert prefixes == {"status_"}
