"""What must hold after the chaos, checked from the database (and what clients observed).

Each invariant is a function ``(facts) -> list of violations``; :data:`INVARIANTS` lists them
all, and a new guarantee is one more function added there. The facts are read once, after
the run has drained, in one consistent snapshot.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, text

from dispatchd.domain.escalation import StepAction
from dispatchd.store import tables as t
from dispatchd.wire.policy import ladder_from_json
from tests.chaos.harness import HeldTransaction

ACTIVE = {"sent", "reminded", "penalized"}
ENDED = {"accepted", "declined", "revoked", "withdrawn"}
ENDING_EVENTS = {f"offer.{status}": status for status in ENDED}
STEP_EVENTS = {
    StepAction.REMIND: "offer.reminded",
    StepAction.PENALIZE: "offer.penalized",
    StepAction.REVOKE: "offer.revoked",
}
ORDER_STATUSES = {"pending", "offered", "accepted", "in_progress", "completed", "cancelled"}
MAX_LATENESS = timedelta(seconds=5)


@dataclass
class Facts:
    """Everything the invariants look at."""

    orders: list[dict[str, Any]]
    offers: list[dict[str, Any]]
    events: list[dict[str, Any]]
    ledger: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    outbox: list[dict[str, Any]]
    database_now: datetime
    sms: list[dict[str, Any]] = field(default_factory=list)
    accepts_answered_200: set[str] = field(default_factory=set)
    streams: dict[str, tuple[list[int], Callable[[dict[str, Any]], bool]]] = field(
        default_factory=dict
    )
    worst_sampled_lag_s: float = 0.0
    #: The deliberately slow writers' transactions (``HeldWriter``), as they saw them.
    held: list[HeldTransaction] = field(default_factory=list)

    @classmethod
    def read(cls, conn: Connection, sms_file: Path) -> Facts:
        """Read every table the invariants need, and the SMS file sink."""

        def rows(table: Any, *order_by: Any) -> list[dict[str, Any]]:
            return [dict(row) for row in conn.execute(select(table).order_by(*order_by)).mappings()]

        sms = []
        if sms_file.exists():
            sms = [json.loads(line) for line in sms_file.read_text().splitlines() if line]
        return cls(
            orders=rows(t.orders, t.orders.c.id),
            offers=rows(t.offers, t.offers.c.order_id, t.offers.c.attempt),
            events=rows(t.events, t.events.c.id),
            ledger=rows(t.ledger_entries, t.ledger_entries.c.id),
            deadlines=rows(t.deadlines, t.deadlines.c.id),
            outbox=rows(t.outbox, t.outbox.c.id),
            database_now=conn.execute(text("SELECT clock_timestamp()")).scalar_one(),
            sms=sms,
        )

    def offer_events(self) -> dict[str, list[dict[str, Any]]]:
        """Each offer's events, in log order."""
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in self.events:
            offer_id = event["data"].get("offer_id")
            if offer_id and event["name"].startswith("offer."):
                found[offer_id].append(event)
        return found


def orders_are_in_valid_states(facts: Facts) -> list[str]:
    """Each order's status agrees with its offers."""
    problems = []
    offers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for offer in facts.offers:
        offers[offer["order_id"]].append(offer)
    for order in facts.orders:
        mine = offers[order["id"]]
        active = [o for o in mine if o["status"] in ACTIVE]
        accepted = [o for o in mine if o["status"] == "accepted"]
        status = order["status"]
        if status not in ORDER_STATUSES:
            problems.append(f"order {order['id']} has unknown status {status}")
        if status == "offered" and len(active) != 1:
            problems.append(f"offered order {order['id']} has {len(active)} active offers")
        if status != "offered" and active:
            problems.append(f"{status} order {order['id']} still has an active offer")
        if status in {"accepted", "in_progress", "completed"} and (
            len(accepted) != 1 or accepted[0]["installer_id"] != order["installer_id"]
        ):
            problems.append(f"{status} order {order['id']} is not owned by one accepted offer")
        if status in {"pending", "offered"} and accepted:
            problems.append(f"{status} order {order['id']} has an accepted offer")
    return problems


def each_offer_ended_at_most_once(facts: Facts) -> list[str]:
    """One ending event per ended offer, none for an active one, never two."""
    problems = []
    by_offer = facts.offer_events()
    for offer in facts.offers:
        endings = [e["name"] for e in by_offer[offer["id"]] if e["name"] in ENDING_EVENTS]
        expected = 1 if offer["status"] in ENDED else 0
        if len(endings) != expected:
            problems.append(f"offer {offer['id']} ({offer['status']}) ended as {endings}")
        elif endings and ENDING_EVENTS[endings[0]] != offer["status"]:
            problems.append(f"offer {offer['id']} is {offer['status']} but ended as {endings}")
    return problems


def at_most_one_active_offer_per_order_at_any_time(facts: Facts) -> list[str]:
    """Replaying the log, an order never had two offers open at once."""
    problems = []
    open_offers: dict[str, set[str]] = defaultdict(set)
    for event in facts.events:
        offer_id = event["data"].get("offer_id")
        if event["name"] == "offer.sent":
            open_offers[event["order_id"]].add(offer_id)
            if len(open_offers[event["order_id"]]) > 1:
                problems.append(
                    f"order {event['order_id']} had two open offers at event {event['id']}"
                )
        elif event["name"] in ENDING_EVENTS:
            open_offers[event["order_id"]].discard(offer_id)
    return problems


def penalties_booked_exactly_once_and_never_after_acceptance(facts: Facts) -> list[str]:
    """A penalized offer has one deduction; an offer accepted before its penalty has none."""
    problems = []
    booked = Counter(entry["offer_id"] for entry in facts.ledger if entry["offer_id"])
    by_offer = facts.offer_events()
    for offer in facts.offers:
        names = [e["name"] for e in by_offer[offer["id"]]]
        penalized = names.count("offer.penalized")
        if booked[offer["id"]] != penalized or penalized > 1:
            problems.append(
                f"offer {offer['id']}: {penalized} penalty steps, {booked[offer['id']]} bookings"
            )
        accepted_first = "offer.accepted" in names and penalized
        if accepted_first and names.index("offer.penalized") > names.index("offer.accepted"):
            problems.append(f"offer {offer['id']} was penalized after it was accepted")
    return problems


def no_accept_after_revoke(facts: Facts) -> list[str]:
    """No offer is both revoked and accepted; an accept the installer saw succeed stands."""
    problems = []
    status = {offer["id"]: offer["status"] for offer in facts.offers}
    for offer_id, events in facts.offer_events().items():
        names = [e["name"] for e in events]
        if "offer.revoked" in names and "offer.accepted" in names:
            problems.append(f"offer {offer_id} was both revoked and accepted")
    for offer_id in facts.accepts_answered_200:
        if status.get(offer_id) != "accepted":
            problems.append(
                f"installer was told offer {offer_id} is theirs; it is {status.get(offer_id)}"
            )
    return problems


def no_deadline_fired_later_than_due_plus_5s(facts: Facts) -> list[str]:
    """Every rung ran within 5 s of its due time; none is left overdue; none was sampled late."""
    problems = []
    for deadline in facts.deadlines:
        if facts.database_now - deadline["due_at"] > MAX_LATENESS:
            problems.append(f"deadline {deadline['id']} is still pending, due {deadline['due_at']}")
    offers = {offer["id"]: offer for offer in facts.offers}
    for offer_id, events in facts.offer_events().items():
        ladder = ladder_from_json(offers[offer_id]["ladder"])
        previous = next((e["at"] for e in events if e["name"] == "offer.sent"), None)
        for index, step in enumerate(ladder.steps):
            fired = next((e for e in events if e["name"] == STEP_EVENTS[step.action]), None)
            if fired is None or previous is None:
                break
            due = previous + timedelta(seconds=step.after_s)
            if fired["at"] - due > MAX_LATENESS:
                late = fired["at"] - due
                problems.append(f"offer {offer_id} rung {index} due {due:%H:%M:%S} ran {late} late")
            previous = fired["at"]
    if facts.worst_sampled_lag_s > MAX_LATENESS.total_seconds():
        problems.append(f"the oldest due deadline waited {facts.worst_sampled_lag_s:.1f} s")
    return problems


def streams_replayed_every_visible_event_once_in_order(facts: Facts) -> list[str]:
    """A client reconnecting with Last-Event-ID got exactly the log as it may see it."""
    problems = []
    for who, (received, may_see) in facts.streams.items():
        expected = [e["id"] for e in facts.events if may_see(e)]
        if received != expected:
            missing = sorted(set(expected) - set(received))[:10]
            extra = len(received) - len(set(received))
            problems.append(
                f"{who} stream: {len(received)} received, {len(expected)} expected, "
                f"missing {missing}, {extra} duplicates, in order: {received == sorted(received)}"
            )
    return problems


def held_transactions_held_back_only_themselves(facts: Facts) -> list[str]:
    """A slow transaction delayed nobody's events, and its own followed all published meanwhile.

    Each committed one's events are in the log once, numbered after every event published
    before it committed; one whose commit failed left its events once or not at all. And the
    log moved on while transactions were held: others' events were published meanwhile.
    """
    problems = []
    logged = Counter(e["order_id"] for e in facts.events if e["name"] == "chaos.held")
    first_id: dict[str, int] = {}
    for event in facts.events:
        first_id.setdefault(event["order_id"], event["id"])
    for held in facts.held:
        count = logged[held.order_id]
        if held.committed and count != held.events:
            problems.append(f"{held.order_id}: {count} of its {held.events} events were logged")
        if not held.committed and count not in (0, held.events):
            problems.append(f"{held.order_id} (commit failed): {count} of {held.events} logged")
        if count and first_id[held.order_id] <= held.published_at_commit:
            problems.append(
                f"{held.order_id} got id {first_id[held.order_id]}, not after "
                f"{held.published_at_commit} published before it committed"
            )
    published_meanwhile = sum(
        h.published_at_commit - h.published_at_queue for h in facts.held if h.committed
    )
    if facts.held and published_meanwhile <= 0:
        problems.append("no event was published while a transaction was held open")
    return problems


def customer_told_once_per_accepted_order(facts: Facts) -> list[str]:
    """Each accepted order's customer got the installer's details by SMS exactly once."""
    problems = []
    told = Counter(line["order_id"] for line in facts.sms)
    accepted = {o["id"] for o in facts.orders if o["status"] in {"accepted", "in_progress"}}
    for order_id in accepted:
        if told[order_id] != 1:
            problems.append(f"accepted order {order_id}: customer told {told[order_id]} times")
    for order_id in set(told) - accepted:
        problems.append(f"order {order_id} was never accepted but its customer was told")
    undelivered = [
        m["id"] for m in facts.outbox if m["status"] == "pending" and m["channel"] == "sms"
    ]
    if undelivered:
        problems.append(f"SMS still waiting in the outbox: {undelivered[:10]}")
    return problems


INVARIANTS: list[Callable[[Facts], list[str]]] = [
    orders_are_in_valid_states,
    each_offer_ended_at_most_once,
    at_most_one_active_offer_per_order_at_any_time,
    penalties_booked_exactly_once_and_never_after_acceptance,
    no_accept_after_revoke,
    no_deadline_fired_later_than_due_plus_5s,
    streams_replayed_every_visible_event_once_in_order,
    held_transactions_held_back_only_themselves,
    customer_told_once_per_accepted_order,
]


def violations(facts: Facts) -> dict[str, list[str]]:
    """Every invariant's violations, by invariant name (empty lists when all is well)."""
    return {check.__name__: check(facts) for check in INVARIANTS}
