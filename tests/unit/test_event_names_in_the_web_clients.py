"""The web clients listen for the server's events by name: their list must be the server's.

``EventSource`` delivers only the events a page subscribed to by name, so an event the server
sends but ``web/shared/live.js`` does not list never reaches the console or the phone, and
nothing reports it. Whoever adds a name to ``EventName`` must add it to ``EVENT_NAMES`` too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dispatchd.api.routes.web import WEB_ROOT
from dispatchd.domain.events import EventName

LIVE_JS = WEB_ROOT / "shared" / "live.js"
DECLARATION = re.compile(r"export const EVENT_NAMES = \[(?P<items>[^\]]*)\];")
STRING = re.compile(r'"([^"\\]*)"')


@dataclass(frozen=True)
class Drift:
    """How a client's list of event names differs from the server's."""

    missing: list[str]
    unknown: list[str]
    twice: list[str]


def drift(source: str) -> Drift:
    """Compare the EVENT_NAMES declared in this JavaScript with EventName's values."""
    found = DECLARATION.search(source)
    assert found, f"{LIVE_JS} must declare `export const EVENT_NAMES = [...];`"
    items = found.group("items")
    leftover = STRING.sub("", items).replace(",", "").split()
    assert not leftover, f"EVENT_NAMES must hold only string literals, found {leftover}"
    names = STRING.findall(items)
    server = {name.value for name in EventName}
    return Drift(
        missing=sorted(server - set(names)),
        unknown=sorted(set(names) - server),
        twice=sorted({name for name in names if names.count(name) > 1}),
    )


def test_the_web_clients_listen_for_exactly_the_events_the_server_sends() -> None:
    found = drift(LIVE_JS.read_text(encoding="utf-8"))
    assert not found.missing, f"add {found.missing} to EVENT_NAMES in {LIVE_JS}"
    assert not found.unknown, f"{found.unknown} in {LIVE_JS} are not EventName values"
    assert not found.twice, f"{found.twice} are listed twice in {LIVE_JS}"


def test_a_name_the_clients_forgot_or_invented_is_reported() -> None:
    source = LIVE_JS.read_text(encoding="utf-8")
    forgotten = source.replace('  "offer.reminded",\n', "", 1)
    assert drift(forgotten).missing == ["offer.reminded"]
    invented = source.replace('"alert.raised",', '"alert.raised",\n  "order.teleported",', 1)
    assert drift(invented).unknown == ["order.teleported"]
    doubled = source.replace('"alert.raised",', '"alert.raised",\n  "alert.raised",', 1)
    assert drift(doubled).twice == ["alert.raised"]
