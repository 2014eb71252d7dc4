"""The order lifecycle under random interleavings of commands, answers and passing time.

Hypothesis drives the service layer (``Dispatcher.execute``) and the deadline engine on a fake
clock, each example on its own fresh database, and after every step reads the database back
to check what must always hold: one active offer at most, a held order owned by its latest
accepted offer, penalties booked exactly once per (offer or promise, step), no deadline left
for an ended offer or a kept, ended or paused promise (so no promise step fires while its order
is suspended), and no pending order that nobody was told about. After acceptance the machine
also agrees and moves appointments, suspends and resumes, hands jobs back and reassigns them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Connection, select

from dispatchd.config import Settings
from dispatchd.domain.assignment import Candidate, OrderNeeds, choose_installer
from dispatchd.domain.deadlines import (
    PROMISE_DEADLINES,
    PROMISE_OF_DEADLINE,
    Deadline,
    DeadlineKind,
)
from dispatchd.domain.errors import DomainError, IllegalTransition, InvalidInput
from dispatchd.domain.escalation import DEFAULT_POLICY, EscalationStep, Ladder, Policy, StepAction
from dispatchd.domain.geo import Point
from dispatchd.domain.holds import SuspendReason
from dispatchd.domain.ledger import LATE_ACCEPTANCE_PENALTY
from dispatchd.domain.offers import ACTIVE_OFFER_STATUSES
from dispatchd.domain.orders import Order, OrderStatus
from dispatchd.domain.promises import PromiseAction, PromiseKind, PromiseLadder, PromiseStep
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.actors import SYSTEM, Actor, Role
from dispatchd.service.bootstrap import bootstrap
from dispatchd.service.clock import FakeClock
from dispatchd.service.commands import (
    AcceptOffer,
    AssignOrder,
    CancelOrder,
    Command,
    CreateInstaller,
    CreateOrder,
    CreateZone,
    DeclineOffer,
    HandBack,
    ReportLocation,
    ResumeOrder,
    RunDueSteps,
    SetAppointment,
    SetDuty,
    SetPolicy,
    StartJob,
    SuspendOrder,
)
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.errors import Conflict, NotFound
from dispatchd.service.handlers import accounts
from dispatchd.store import tables as t
from dispatchd.store.database import Database
from dispatchd.store.installers import InstallerRepository
from dispatchd.store.order_rows import stored_promise_ladder
from dispatchd.wire.policy import ladder_from_json
from tests.conftest import ADMIN_PASSWORD, DB_FILE
from tests.helpers import CENTRE

MANAGER = Actor("mgr", Role.ADMIN)
ACTIVE = frozenset(status.value for status in ACTIVE_OFFER_STATUSES)
LAPSED = frozenset({"declined", "revoked"})
OPEN_ORDER = frozenset({"pending", "offered", "accepted", "suspended", "in_progress"})
HELD = frozenset({"accepted", "suspended", "in_progress"})
WHO_TAKES_THIS = frozenset({"no_eligible_installer", "needs_dispatcher"})
ASSIGNABLE = frozenset({"pending", "offered", *HELD})
ACCEPTED_ONLY = frozenset({"accepted"})
SUSPENDABLE = frozenset({"accepted", "in_progress"})
PROMISE_OF = {deadline.value: promise.value for deadline, promise in PROMISE_OF_DEADLINE.items()}
PROMISE_PENALTIES = {kind.penalty_reason: kind.value for kind in PromiseKind}

# A promise policy brisk enough to run every step within a few ticks: a reminder, a breach,
# a penalty, and a reassignment for the job that is never finished.
BRISK_PROMISES = {
    PromiseKind.APPOINTMENT: PromiseLadder(
        (PromiseStep(120, PromiseAction.REMIND), PromiseStep(120, PromiseAction.PENALIZE, 300))
    ),
    PromiseKind.ARRIVAL: PromiseLadder(
        (PromiseStep(0, PromiseAction.ALERT), PromiseStep(300, PromiseAction.PENALIZE, 700))
    ),
    PromiseKind.COMPLETION: PromiseLadder(
        (PromiseStep(600, PromiseAction.ALERT), PromiseStep(600, PromiseAction.REASSIGN))
    ),
}
# The patent's two embodiments, and a brisk ladder that reaches "needs a dispatcher" quickly.
POLICIES = [
    DEFAULT_POLICY,
    Policy(
        Ladder((EscalationStep(300, StepAction.REMIND), EscalationStep(600, StepAction.REVOKE)))
    ),
    Policy(
        Ladder(
            (
                EscalationStep(120, StepAction.REMIND),
                EscalationStep(120, StepAction.PENALIZE, 500),
                EscalationStep(240, StepAction.REVOKE),
            )
        ),
        max_auto_attempts=2,
        promises=BRISK_PROMISES,
        max_window_s=3600,
    ),
]
REASONS = st.sampled_from(list(SuspendReason))
# Clock moves that land on, just before and just after the rungs of those ladders.
# The first is what Hypothesis tries first (the project derandomizes Hypothesis): a full rung.
LADDER_MOMENTS = [300, 600, 1200, 120, 240, 299, 301, 119, 121, 480, 900, 1300, 1]

# The test city: installers of different reach, capacity and skills inside the CENTRE zone.
CREW = [
    ("Wang Wei", Point(31.231, 121.471), 1, ("gas",)),
    ("Zhang Min", Point(31.200, 121.450), 2, ()),
    ("Liu Yang", Point(31.280, 121.520), 2, ("gas",)),
    ("Chen Jie", None, 3, ()),
]

latitudes = st.floats(31.16, 31.29, allow_nan=False)
longitudes = st.floats(121.41, 121.54, allow_nan=False)


def _settings(data_dir: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        admin_password=ADMIN_PASSWORD,
        run_engine=False,
        public_url="http://dispatchd.test",
        sms_url=f"file://{data_dir / 'sms.jsonl'}",
    )


def _flag(data: st.DataObject, label: str) -> bool:
    flag: bool = data.draw(st.booleans(), label=label)
    return flag


@dataclass(frozen=True)
class Snapshot:
    """The rows the invariants look at, read in one consistent transaction."""

    orders: list[dict[str, Any]]
    offers: list[dict[str, Any]]
    promises: list[dict[str, Any]]
    ledger: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    installers: list[dict[str, Any]]
    balances: dict[str, int]
    workload: dict[str, int]

    @classmethod
    def read(cls, conn: Connection, installer_ids: list[str]) -> Snapshot:
        """Read every table the lifecycle touches."""

        def rows(table: Any) -> list[dict[str, Any]]:
            return [dict(row) for row in conn.execute(select(table)).mappings()]

        return cls(
            orders=rows(t.orders),
            offers=sorted(rows(t.offers), key=lambda o: (o["order_id"], o["attempt"])),
            promises=rows(t.promises),
            ledger=rows(t.ledger_entries),
            deadlines=rows(t.deadlines),
            alerts=rows(t.alerts),
            installers=rows(t.installers),
            balances=InstallerRepository(conn).balances(installer_ids),
            workload=InstallerRepository(conn).active_jobs(installer_ids),
        )

    def offers_by_order(self) -> dict[str, list[dict[str, Any]]]:
        """Each order's offers, oldest first."""
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for offer in self.offers:
            grouped[offer["order_id"]].append(offer)
        return grouped


class OrderLifecycle(RuleBasedStateMachine):
    """Orders created, offered, answered, escalated, reassigned, cancelled and started."""

    def __init__(self, template: Path) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="dispatchd-stateful-"))
        shutil.copy(template, self.directory / DB_FILE)
        config = _settings(self.directory)
        self.clock = FakeClock()
        self.database = Database(config.resolved_database_url())
        self.dispatcher = Dispatcher(self.database, self.clock, config)
        self.engine = DeadlineEngine(self.dispatcher)
        self.installer_ids: list[str] = []
        self.order_ids: list[str] = []
        self.manual_offer_ids: set[str] = set()
        self.seen_offer_ids: set[str] = set()
        self.ran_due_at: datetime | None = None

    # -- set-up ---------------------------------------------------------------------------

    @initialize(
        policy=st.sampled_from(POLICIES),
        first_orders=st.lists(
            st.tuples(latitudes, longitudes, st.booleans()), min_size=1, max_size=3
        ),
        accepted=st.lists(st.booleans(), min_size=3, max_size=3),
    )
    def open_the_city(
        self, policy: Policy, first_orders: list[tuple[float, float, bool]], accepted: list[bool]
    ) -> None:
        """A zone, four installers on duty, and the day's first requests.

        One installer's phone never reported a position; the first requests make sure every
        run has offers to answer or let lapse.
        """
        self.policy = self.dispatcher.execute(SetPolicy(policy), MANAGER)
        zone = self.dispatcher.execute(CreateZone("Centre", CENTRE), MANAGER)
        self.zone_id = zone.id
        for number, (name, where, capacity, skills) in enumerate(CREW, start=1):
            record = self.dispatcher.execute(
                CreateInstaller(
                    name=name,
                    phone=f"+86138001380{number:02d}",
                    zone_ids=(zone.id,),
                    capacity=capacity,
                    skills=skills,
                    username=f"installer{number}",
                    password="installer-password",
                ),
                MANAGER,
            )
            self.installer_ids.append(record.id)
            actor = self.installer(record.id)
            if where is not None:
                self.dispatcher.execute(ReportLocation(record.id, where), actor)
            self.dispatcher.execute(SetDuty(record.id, True), actor)
        for (lat, lon, needs_gas), accept in zip(first_orders, accepted, strict=False):
            self.create_order(lat, lon, needs_gas)
            active = [
                offer
                for offer in self.snapshot().offers
                if offer["order_id"] == self.order_ids[-1] and offer["status"] in ACTIVE
            ]
            if accept and active:
                owner = self.installer(active[0]["installer_id"])
                self.dispatcher.execute(AcceptOffer(active[0]["id"]), owner)

    def teardown(self) -> None:
        """Stop the writer thread, close the database and remove the example's files."""
        self.dispatcher.close()
        self.database.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def installer(installer_id: str) -> Actor:
        """The installer's own phone as an actor."""
        return Actor(f"usr_{installer_id}", Role.INSTALLER, installer_id=installer_id)

    def snapshot(self) -> Snapshot:
        """The database as it stands."""
        with self.dispatcher.reading() as conn:
            return Snapshot.read(conn, self.installer_ids)

    def order_row(self, order_id: str) -> dict[str, Any]:
        """One order's stored row."""
        with self.dispatcher.reading() as conn:
            row = conn.execute(select(t.orders).where(t.orders.c.id == order_id)).mappings().one()
            return dict(row)

    def attempt(self, command: Command, actor: Actor) -> tuple[Any, DomainError | None]:
        """Run a command; a refusal is returned, not raised, for the rule to judge."""
        name = type(command).__name__
        try:
            result = self.dispatcher.execute(command, actor)
        except DomainError as refused:
            event(f"{name} refused: {type(refused).__name__}")
            return None, refused
        event(f"{name} done")
        return result, None

    def pick_order(self, data: st.DataObject, preferred: frozenset[str]) -> str:
        """An order, usually one in a status where the rule can succeed."""
        with self.dispatcher.reading() as conn:
            statuses = {row.id: row.status for row in conn.execute(select(t.orders))}
        likely = [order_id for order_id in self.order_ids if statuses[order_id] in preferred]
        pool = self.order_ids
        if likely and _flag(data, "prefer likely"):
            pool = likely
        order_id: str = data.draw(st.sampled_from(pool), label="order")
        return order_id

    def pick_offer(self, data: st.DataObject) -> dict[str, Any] | None:
        """An offer, usually an active one, sometimes one that has already ended.

        Offers are listed in the order their orders were created (ids are random), so that
        Hypothesis replays the same choice from the same draw.
        """
        position = {order_id: index for index, order_id in enumerate(self.order_ids)}
        offers = sorted(
            self.snapshot().offers, key=lambda o: (position[o["order_id"]], o["attempt"])
        )
        if not offers:
            return None
        active = [offer for offer in offers if offer["status"] in ACTIVE]
        pool = offers
        if active and _flag(data, "prefer active"):
            pool = active
        offer: dict[str, Any] = data.draw(st.sampled_from(pool), label="offer")
        return offer

    def other_installer(self, data: st.DataObject, than: str) -> str:
        """Any installer but this one."""
        others = [i for i in self.installer_ids if i != than]
        return data.draw(st.sampled_from(others), label="someone else")

    # -- rules ------------------------------------------------------------------------------

    @rule(lat=latitudes, lon=longitudes, needs_gas=st.booleans())
    def create_order(self, lat: float, lon: float, needs_gas: bool) -> None:
        """A shop sends a service request inside the zone; it is dispatched at once.

        Requests arrive a second apart: orders waiting for dispatch are taken oldest first,
        and equal timestamps would be ordered by random ids, which Hypothesis cannot replay.
        """
        self.clock.advance(1)
        order = self.dispatcher.execute(
            CreateOrder(
                customer_name="Li Lei",
                customer_phone="+8613912345678",
                address="1 Nanjing Road",
                location=Point(lat, lon),
                product="Gas water heater" if needs_gas else "Air conditioner",
                skills=("gas",) if needs_gas else (),
            ),
            MANAGER,
        )
        assert order.status in (OrderStatus.OFFERED, OrderStatus.PENDING)
        self.order_ids.append(order.id)

    @rule(data=st.data(), by_its_installer=st.sampled_from([True, True, True, False]))
    def accept(self, data: st.DataObject, by_its_installer: bool) -> None:
        """An installer accepts an offer; only the offered installer, only while active."""
        offer = self.pick_offer(data)
        if offer is None:
            return
        owner = offer["installer_id"]
        who = owner if by_its_installer else self.other_installer(data, owner)
        order, refused = self.attempt(AcceptOffer(offer["id"]), self.installer(who))
        if by_its_installer and offer["status"] in ACTIVE:
            assert refused is None, f"an active offer was refused to its installer: {refused}"
            assert order.status is OrderStatus.ACCEPTED
            assert order.installer_id == owner
        else:
            assert isinstance(refused, NotFound if who != owner else IllegalTransition), (
                f"{offer['status']} offer accepted by {'owner' if who == owner else 'another'}"
            )

    @rule(data=st.data(), by_its_installer=st.sampled_from([True, True, True, False]))
    def decline(self, data: st.DataObject, by_its_installer: bool) -> None:
        """An installer turns an offer down; the order moves on at once."""
        offer = self.pick_offer(data)
        if offer is None:
            return
        owner = offer["installer_id"]
        who = owner if by_its_installer else self.other_installer(data, owner)
        order, refused = self.attempt(DeclineOffer(offer["id"], "too far"), self.installer(who))
        if by_its_installer and offer["status"] in ACTIVE:
            assert refused is None, f"an active offer could not be declined: {refused}"
            assert order.status in (OrderStatus.PENDING, OrderStatus.OFFERED)
            current = order.current_offer
            assert current is None or current.installer_id != owner
        else:
            assert isinstance(refused, NotFound if who != owner else IllegalTransition), (
                f"{offer['status']} offer declined by {'owner' if who == owner else 'another'}"
            )

    @rule(seconds=st.sampled_from(LADDER_MOMENTS) | st.integers(0, 1300))
    def time_passes(self, seconds: int) -> None:
        """The clock moves on and the deadline engine runs whatever has come due."""
        now = self.clock.advance(seconds)
        ran = self.engine.run_due(now)
        event(f"deadlines run per tick: {min(ran, 3)}{'+' if ran >= 3 else ''}")
        self.ran_due_at = now

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), with_reason=st.booleans())
    def assign(self, data: st.DataObject, with_reason: bool) -> None:
        """A manager offers an order to the installer of their choice (a held job: reassigned,
        which needs a reason)."""
        order_id = self.pick_order(data, ASSIGNABLE)
        installer_id = data.draw(st.sampled_from(self.installer_ids), label="installer")
        status = self.order_row(order_id)["status"]
        reason = "installer ill" if with_reason else None
        order, refused = self.attempt(AssignOrder(order_id, installer_id, reason), MANAGER)
        if status in ("pending", "offered") or (status in HELD and with_reason):
            assert refused is None, f"a {status} order could not be assigned: {refused}"
            assert order.status is OrderStatus.OFFERED
            assert order.current_offer is not None
            assert order.current_offer.installer_id == installer_id
            assert order.installer_id is None
            self.manual_offer_ids.add(order.current_offer.id)
        elif status in HELD:
            assert isinstance(refused, InvalidInput), "a held job was taken without a reason"
            assert refused.errors[0].field == "reason"
        else:
            assert isinstance(refused, Conflict), f"a {status} order was reassigned"

    @precondition(lambda self: self.order_ids)
    @rule(
        data=st.data(),
        starts_in_s=st.sampled_from([600, 60, 3600, -600, 0]) | st.integers(-600, 7200),
        lasts_s=st.sampled_from([3600, 1800, 1, 0, 20_000]),
        with_reason=st.booleans(),
    )
    def agree_a_window(
        self, data: st.DataObject, starts_in_s: int, lasts_s: int, with_reason: bool
    ) -> None:
        """The installer agrees (or moves) the arrival window with the customer."""
        order_id = self.pick_order(data, frozenset({"accepted", "suspended"}))
        row = self.order_row(order_id)
        holder = row["installer_id"]
        now = self.clock.now()
        start = now + timedelta(seconds=starts_in_s)
        end = start + timedelta(seconds=lasts_s)
        reason = "customer asked" if with_reason else None
        actor = self.installer(holder) if holder else MANAGER
        order, refused = self.attempt(SetAppointment(order_id, start, end, reason), actor)
        valid = (
            start > now
            and end > start
            and lasts_s <= self.policy.max_window_s
            and (row["appointment_start"] is None or with_reason)
        )
        if row["status"] in ("accepted", "suspended") and valid:
            assert refused is None, f"a valid window was refused: {refused}"
            assert order.appointment is not None
            assert order.appointment.window_end == end
            moves = row["appointment_moves"] + (1 if row["appointment_start"] else 0)
            assert order.appointment.moves == moves
        else:
            assert refused is not None, f"a window was agreed on a {row['status']} order"

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), reason=REASONS, until_s=st.sampled_from([None, 60, 900]))
    def suspend(self, data: st.DataObject, reason: SuspendReason, until_s: int | None) -> None:
        """The job is put on hold: its promises pause."""
        order_id = self.pick_order(data, SUSPENDABLE)
        status = self.order_row(order_id)["status"]
        until = None if until_s is None else self.clock.now() + timedelta(seconds=until_s)
        order, refused = self.attempt(SuspendOrder(order_id, reason, None, until), MANAGER)
        if status in SUSPENDABLE:
            assert refused is None, f"a {status} order could not be suspended: {refused}"
            assert order.status is OrderStatus.SUSPENDED
        else:
            assert isinstance(refused, IllegalTransition), f"a {status} order was suspended"

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def resume(self, data: st.DataObject) -> None:
        """The job goes on where it stood."""
        order_id = self.pick_order(data, frozenset({"suspended"}))
        row = self.order_row(order_id)
        order, refused = self.attempt(ResumeOrder(order_id), MANAGER)
        if row["status"] == "suspended":
            assert refused is None, f"a suspended order could not be resumed: {refused}"
            assert order.status.value == row["suspension"]["from_status"]
        else:
            assert isinstance(refused, IllegalTransition), f"a {row['status']} order resumed"

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def hand_back(self, data: st.DataObject) -> None:
        """The installer gives the job back before starting: never offered it again."""
        order_id = self.pick_order(data, frozenset({"accepted", "suspended"}))
        row = self.order_row(order_id)
        holder = row["installer_id"]
        if holder is None:
            return
        order, refused = self.attempt(HandBack(order_id, "van broke down"), self.installer(holder))
        if row["status"] in ("accepted", "suspended") and row["started_at"] is None:
            assert refused is None, f"a {row['status']} job could not be handed back: {refused}"
            assert order.installer_id is None
            current = order.current_offer
            assert current is None or current.installer_id != holder
        else:
            assert isinstance(refused, IllegalTransition), "a started job was handed back"

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        """A manager calls a job off."""
        order_id = self.pick_order(data, OPEN_ORDER)
        status = self.order_row(order_id)["status"]
        order, refused = self.attempt(CancelOrder(order_id, "customer moved house"), MANAGER)
        if status in OPEN_ORDER:
            assert refused is None, f"an open ({status}) order could not be cancelled: {refused}"
            assert order.status is OrderStatus.CANCELLED
        else:
            assert isinstance(refused, IllegalTransition), f"a {status} order was cancelled"

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), by_its_installer=st.sampled_from([True, True, False]))
    def start_job(self, data: st.DataObject, by_its_installer: bool) -> None:
        """An installer reports the start of installation; only the one who accepted it."""
        order_id = self.pick_order(data, ACCEPTED_ONLY)
        row = self.order_row(order_id)
        holder = row["installer_id"]
        if by_its_installer and holder is not None:
            who = holder
        else:
            who = data.draw(st.sampled_from(self.installer_ids), label="installer")
        order, refused = self.attempt(StartJob(order_id), self.installer(who))
        if row["status"] == "accepted" and who == holder:
            assert refused is None, f"the accepting installer could not start: {refused}"
            assert order.status is OrderStatus.IN_PROGRESS
        else:
            assert isinstance(refused, NotFound if who != holder else IllegalTransition), (
                f"a {row['status']} order was started by {who} (holder {holder}): {refused!r}"
            )

    @rule(data=st.data(), on_duty=st.booleans())
    def change_duty(self, data: st.DataObject, on_duty: bool) -> None:
        """An installer goes off duty, or back on (which may pick up waiting orders)."""
        installer_id = data.draw(st.sampled_from(self.installer_ids), label="installer")
        self.dispatcher.execute(SetDuty(installer_id, on_duty), self.installer(installer_id))

    @rule(data=st.data())
    def replay_a_stale_step(self, data: st.DataObject) -> None:
        """A rung fires again (a retry, a second engine): nothing may happen twice."""
        offer = self.pick_offer(data)
        if offer is None:
            return
        ended = offer["status"] not in ACTIVE
        if not ended and offer["next_step"] == 0:
            return
        last = len(offer["ladder"]) - 1 if ended else offer["next_step"] - 1
        step = data.draw(st.integers(0, last), label="stale step")
        before = self.snapshot()
        replay = Deadline(0, DeadlineKind.OFFER_STEP, offer["id"], step, self.clock.now())
        self.dispatcher.execute(RunDueSteps((replay,)), SYSTEM)
        after = self.snapshot()
        assert after.offers == before.offers
        assert after.orders == before.orders
        assert after.ledger == before.ledger
        assert after.alerts == before.alerts

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def the_database_is_consistent(self) -> None:
        """Read everything once and check every rule that must hold between any two steps."""
        snap = self.snapshot()
        by_order = snap.offers_by_order()
        offers_by_id = {offer["id"]: offer for offer in snap.offers}
        check_offers_per_order(snap, by_order)
        check_ownership(snap, by_order)
        check_penalties(snap, offers_by_id)
        check_balances(snap)
        check_deadlines(snap, self.ran_due_at)
        check_nobody_waits_unnoticed(snap)
        limit = self.policy.max_auto_attempts
        check_automatic_dispatch(snap, by_order, self.manual_offer_ids, limit)
        check_capacity(snap, self.manual_offer_ids)
        new_offers = [o for o in snap.offers if o["id"] not in self.seen_offer_ids]
        check_new_automatic_offers(snap, new_offers, self.manual_offer_ids)
        self.seen_offer_ids.update(offer["id"] for offer in new_offers)
        check_waiting_orders_have_nobody(snap, by_order, self.zone_id, limit)


def check_offers_per_order(snap: Snapshot, by_order: dict[str, list[dict[str, Any]]]) -> None:
    """At most one active offer, and it is the newest; the order's status agrees with it."""
    for order in snap.orders:
        offers = by_order.get(order["id"], [])
        assert [offer["attempt"] for offer in offers] == list(range(1, len(offers) + 1))
        active = [offer for offer in offers if offer["status"] in ACTIVE]
        assert len(active) <= 1, f"order {order['id']} has {len(active)} active offers"
        if active:
            assert active[0] is offers[-1], "an older offer is still active"
        expected = 1 if order["status"] == "offered" else 0
        assert len(active) == expected, (
            f"{order['status']} order {order['id']} has {len(active)} active offers"
        )
        if order["awaiting_dispatcher"]:
            assert order["status"] in ("pending", "cancelled"), order


def check_ownership(snap: Snapshot, by_order: dict[str, list[dict[str, Any]]]) -> None:
    """An order has an installer exactly when it is accepted, suspended or in progress, and
    then its latest offer is the accepted one, from that installer."""
    for order in snap.orders:
        offers = by_order.get(order["id"], [])
        if order["status"] in HELD:
            assert order["installer_id"] is not None, f"{order['status']} order without one"
            assert offers, "a held order was never offered"
            assert offers[-1]["status"] == "accepted"
            assert order["installer_id"] == offers[-1]["installer_id"]
            assert order["accepted_at"] == offers[-1]["ended_at"]
        elif order["status"] in ("pending", "offered"):
            assert order["installer_id"] is None, f"{order['status']} order with an installer"
        if order["status"] == "in_progress":
            assert order["started_at"] is not None
        if order["status"] == "suspended":
            assert order["suspension"] is not None
        else:
            assert order["suspension"] is None, f"a {order['status']} order is still on hold"


def check_penalties(snap: Snapshot, offers_by_id: dict[str, dict[str, Any]]) -> None:
    """A penalty is booked once per (offer, step), exactly when that penalize rung ran."""
    penalties = [entry for entry in snap.ledger if entry["reason"] == LATE_ACCEPTANCE_PENALTY]
    keys = Counter((entry["offer_id"], entry["step"]) for entry in penalties)
    twice = [key for key, count in keys.items() if count > 1]
    assert not twice, f"penalties booked more than once: {twice}"
    for entry in penalties:
        offer = offers_by_id[entry["offer_id"]]
        step = ladder_from_json(offer["ladder"]).step(entry["step"])
        assert step.action is StepAction.PENALIZE
        assert entry["amount"] == -step.amount
        assert entry["installer_id"] == offer["installer_id"]
        assert offer["next_step"] > entry["step"], "a penalty for a rung not yet reached"
    for offer in snap.offers:
        ladder = ladder_from_json(offer["ladder"])
        for index in range(offer["next_step"]):
            if ladder.step(index).action is StepAction.PENALIZE:
                assert (offer["id"], index) in keys, f"penalty rung {index} ran without a booking"
    check_promise_penalties(snap)


def check_promise_penalties(snap: Snapshot) -> None:
    """A promise's penalty is booked at most once per (order, promise, step)."""
    booked = Counter(
        (entry["order_id"], PROMISE_PENALTIES[entry["reason"]], entry["step"])
        for entry in snap.ledger
        if entry["reason"] in PROMISE_PENALTIES
    )
    twice = [key for key, count in booked.items() if count > 1]
    assert not twice, f"promise penalties booked more than once: {twice}"
    for promise in snap.promises:
        ladder = stored_promise_ladder(
            tuple((s["after_s"], s["action"], s.get("amount", 0)) for s in promise["ladder"])
        )
        for index in range(promise["steps_taken"]):
            if ladder.step(index).action is PromiseAction.PENALIZE:
                assert (promise["order_id"], promise["kind"], index) in booked, (
                    f"{promise['kind']} penalty step {index} ran without a booking"
                )


def check_balances(snap: Snapshot) -> None:
    """The balance the API shows is the sum of the installer's ledger entries."""
    summed: dict[str, int] = dict.fromkeys(snap.balances, 0)
    for entry in snap.ledger:
        summed[entry["installer_id"]] += entry["amount"]
    assert snap.balances == summed


def check_deadlines(snap: Snapshot, ran_due_at: datetime | None) -> None:
    """Every active offer and every running promise has its next step scheduled; ended offers,
    kept, ended or paused promises (a suspended order's) have none left."""
    offers = {offer["id"]: offer for offer in snap.offers}
    promises = {(p["order_id"], p["kind"]): p for p in snap.promises}
    orders = {order["id"]: order for order in snap.orders}
    for deadline in snap.deadlines:
        assert deadline["failures"] == 0, f"a deadline failed: {deadline}"
        if ran_due_at is not None:
            assert deadline["due_at"] > ran_due_at, "a due deadline was left behind by run_due"
        if deadline["kind"] == DeadlineKind.SUSPENSION_END.value:
            order = orders[deadline["subject_id"]]
            assert order["status"] == "suspended", "a resume is due for an order not on hold"
            continue
        if deadline["kind"] in PROMISE_OF:
            promise = promises.get((deadline["subject_id"], PROMISE_OF[deadline["kind"]]))
            assert promise is not None, f"deadline for an unknown promise: {deadline}"
            assert promise["kept_at"] is None, "a kept promise's step is scheduled"
            assert promise["ended_at"] is None, "an ended promise's step is scheduled"
            assert promise["paused_at"] is None, "a paused promise's step is scheduled"
            assert orders[promise["order_id"]]["status"] in ("accepted", "in_progress")
            assert deadline["step"] == promise["steps_taken"]
            assert deadline["due_at"] == promise["next_step_at"]
            continue
        offer = offers.get(deadline["subject_id"])
        assert offer is not None, f"deadline for an unknown offer: {deadline}"
        assert offer["status"] in ACTIVE, f"deadline left for a {offer['status']} offer"
        assert deadline["step"] == offer["next_step"]
        assert deadline["due_at"] == offer["next_step_at"]
    scheduled = Counter((deadline["kind"], deadline["subject_id"]) for deadline in snap.deadlines)
    for offer in snap.offers:
        if offer["status"] in ACTIVE:
            assert scheduled[("offer_step", offer["id"])] == 1, f"{offer['id']} has no next rung"
    for promise in snap.promises:
        if promise["next_step_at"] is not None:
            kind = PROMISE_DEADLINES[PromiseKind(promise["kind"])].value
            assert scheduled[(kind, promise["order_id"])] == 1, f"{promise} has no next step"
    for order in snap.orders:
        open_promises = [
            p
            for p in snap.promises
            if p["order_id"] == order["id"] and p["kept_at"] is None and p["ended_at"] is None
        ]
        for promise in open_promises:
            assert promise["installer_id"] == order["installer_id"], "a promise of another's job"
            assert (promise["paused_at"] is not None) == (order["status"] == "suspended")


def check_nobody_waits_unnoticed(snap: Snapshot) -> None:
    """A pending order has an open alert telling managers that someone must take it."""
    open_alerts = {
        alert["order_id"]
        for alert in snap.alerts
        if alert["acknowledged_at"] is None and alert["type"] in WHO_TAKES_THIS
    }
    for order in snap.orders:
        if order["status"] == "pending":
            assert order["id"] in open_alerts, f"pending order {order['id']} waits unnoticed"


def check_automatic_dispatch(
    snap: Snapshot, by_order: dict[str, list[dict[str, Any]]], manual: set[str], limit: int
) -> None:
    """The server never re-offers to someone who let the order lapse, nor past the limit."""
    releases = {order["id"]: order["releases"] for order in snap.orders}
    for order_id, offers in by_order.items():
        let_go = _released_before(offers, releases[order_id])
        for position, offer in enumerate(offers):
            if offer["id"] in manual:
                continue
            lapsed = [o for o in offers[:position] if o["status"] in LAPSED]
            released = let_go[position]
            assert offer["installer_id"] not in {o["installer_id"] for o in lapsed}, (
                f"offer {offer['id']} went to an installer who already let the order lapse"
            )
            assert offer["installer_id"] not in {r["installer_id"] for r in released}, (
                f"offer {offer['id']} went to an installer who gave the job back or lost it"
            )
            handed = [r for r in released if r["kind"] == "handed_back"]
            assert len(lapsed) + len(handed) < limit, f"offer {offer['id']} sent past the limit"


def _released_before(
    offers: list[dict[str, Any]], releases: list[dict[str, Any]]
) -> list[list[dict[str, Any]]]:
    """For each offer, the releases made before it was sent.

    An installer's n-th release let go of the job they held by their n-th accepted offer, so
    it precedes every offer sent after that one.
    """
    pending = list(releases)
    before: list[list[dict[str, Any]]] = []
    done: list[dict[str, Any]] = []
    for offer in offers:
        before.append(list(done))
        if offer["status"] == "accepted":
            match = next((r for r in pending if r["installer_id"] == offer["installer_id"]), None)
            if match is not None:
                pending.remove(match)
                done.append(match)
    return before


def check_capacity(snap: Snapshot, manual: set[str]) -> None:
    """Automatic offers respect capacity; only a manager's choice may push someone past it."""
    accepted_offer = {
        offer["order_id"]: offer["id"] for offer in snap.offers if offer["status"] == "accepted"
    }
    for installer in snap.installers:
        forced = sum(
            1
            for offer in snap.offers
            if offer["installer_id"] == installer["id"]
            and offer["status"] in ACTIVE
            and offer["id"] in manual
        ) + sum(
            1
            for order in snap.orders
            if order["installer_id"] == installer["id"]
            and order["status"] in HELD
            and accepted_offer[order["id"]] in manual
        )
        assert snap.workload[installer["id"]] <= installer["capacity"] + forced, (
            f"{installer['name']} has {snap.workload[installer['id']]} jobs and offers, "
            f"capacity {installer['capacity']}, {forced} of them by a manager's choice"
        )


def check_new_automatic_offers(
    snap: Snapshot, new_offers: list[dict[str, Any]], manual: set[str]
) -> None:
    """An offer the server just sent went to someone on duty with the skills the order needs."""
    installers = {installer["id"]: installer for installer in snap.installers}
    orders = {order["id"]: order for order in snap.orders}
    for offer in new_offers:
        if offer["id"] in manual:
            continue
        installer = installers[offer["installer_id"]]
        assert installer["on_duty"], f"offer {offer['id']} sent to off-duty {installer['name']}"
        missing = set(orders[offer["order_id"]]["skills"]) - set(installer["skills"])
        assert not missing, f"offer {offer['id']} sent to {installer['name']} lacking {missing}"


def check_waiting_orders_have_nobody(
    snap: Snapshot, by_order: dict[str, list[dict[str, Any]]], zone_id: str, limit: int
) -> None:
    """An order left pending for automatic dispatch has truly nobody eligible right now.

    The dispatcher re-dispatches wherever an installer becomes available, so a pending order
    with an eligible installer free means a trigger was missed.
    """
    candidates = [
        Candidate(
            installer_id=row["id"],
            on_duty=bool(row["on_duty"]),
            zone_ids=frozenset({zone_id}),
            active_jobs=snap.workload[row["id"]],
            capacity=row["capacity"],
            skills=frozenset(row["skills"]),
            location=None if row["lat"] is None else Point(row["lat"], row["lon"]),
        )
        for row in snap.installers
    ]
    for order in snap.orders:
        offers = by_order.get(order["id"], [])
        lapsed = [offer for offer in offers if offer["status"] in LAPSED]
        released = order["releases"]
        handed = [r for r in released if r["kind"] == "handed_back"]
        if (
            order["status"] != "pending"
            or order["awaiting_dispatcher"]
            or len(lapsed) + len(handed) >= limit
        ):
            continue
        needs = OrderNeeds(
            location=Point(order["lat"], order["lon"]),
            zone_ids=frozenset({order["zone_id"]}),
            skills=frozenset(order["skills"]),
            excluded=frozenset(offer["installer_id"] for offer in lapsed)
            | {r["installer_id"] for r in released},
        )
        chosen = choose_installer(needs, candidates)
        assert chosen is None, (
            f"pending order {order['id']} waits although {chosen} is free to take it"
        )


@pytest.fixture(scope="module")
def bootstrapped_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated template with the default policy and an admin, copied by every example."""
    directory = tmp_path_factory.mktemp("stateful-template")
    shutil.copy(template_db, directory / DB_FILE)
    config = _settings(directory)
    database = Database(config.resolved_database_url())
    dispatcher = Dispatcher(database, FakeClock(), config)
    bootstrap(dispatcher)
    dispatcher.close()
    database.dispose()
    return directory / DB_FILE


def test_the_order_lifecycle_keeps_its_invariants(
    bootstrapped_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Four argon2 hashes per example would be half the run; logins play no part here.
    monkeypatch.setattr(accounts, "hash_password", lambda password: f"test-only${password}")
    run_state_machine_as_test(
        # Hypothesis documents "anything which returns an instance"; its stub says a class.
        lambda: OrderLifecycle(bootstrapped_template),  # type: ignore[arg-type]
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )


def _open_small_city(dispatcher: Dispatcher, capacity: int, on_duty: bool = True) -> list[str]:
    """A zone with Wang Wei near the orders and Zhang Min further away; returns their ids."""
    zone = dispatcher.execute(CreateZone("Centre", CENTRE), MANAGER)
    crew = []
    for number, (name, where, _capacity, _skills) in enumerate(CREW[:2], start=1):
        record = dispatcher.execute(
            CreateInstaller(
                name=name,
                phone=f"+86138001380{number:02d}",
                zone_ids=(zone.id,),
                capacity=capacity,
                skills=(),
                username=f"installer{number}",
                password="installer-password",
            ),
            MANAGER,
        )
        actor = OrderLifecycle.installer(record.id)
        assert where is not None
        dispatcher.execute(ReportLocation(record.id, where), actor)
        if on_duty or number == 1:
            dispatcher.execute(SetDuty(record.id, True), actor)
        crew.append(record.id)
    return crew


def _new_order(dispatcher: Dispatcher) -> Order:
    order: Order = dispatcher.execute(
        CreateOrder(
            customer_name="Li Lei",
            customer_phone="+8613912345678",
            address="1 Nanjing Road",
            location=Point(31.23, 121.47),
            product="Air conditioner",
        ),
        MANAGER,
    )
    return order


def _offers_of(dispatcher: Dispatcher, order_id: str) -> tuple[str, list[tuple[str, str]]]:
    """The order's status and its offers as (installer, status), oldest first."""
    with dispatcher.reading() as conn:
        status = conn.execute(select(t.orders.c.status).where(t.orders.c.id == order_id)).scalar()
        offers = conn.execute(
            select(t.offers.c.installer_id, t.offers.c.status)
            .where(t.offers.c.order_id == order_id)
            .order_by(t.offers.c.attempt)
        )
        return str(status), [(row.installer_id, row.status) for row in offers]


def test_reassigning_an_offer_frees_its_installer_for_a_waiting_order(
    dispatcher: Dispatcher,
) -> None:
    wang, zhang = _open_small_city(dispatcher, capacity=1, on_duty=False)
    first = _new_order(dispatcher)
    assert first.current_offer is not None
    assert first.current_offer.installer_id == wang
    waiting = _new_order(dispatcher)
    assert waiting.status is OrderStatus.PENDING, "Wang is at capacity, Zhang off duty"

    dispatcher.execute(AssignOrder(first.id, zhang), MANAGER)

    assert _offers_of(dispatcher, waiting.id) == ("offered", [(wang, "sent")])


def test_an_order_declined_by_an_installer_gone_off_duty_goes_to_the_next_one(
    dispatcher: Dispatcher,
) -> None:
    wang, zhang = _open_small_city(dispatcher, capacity=2)
    order = _new_order(dispatcher)
    offer = order.current_offer
    assert offer is not None
    assert offer.installer_id == wang
    dispatcher.execute(SetDuty(wang, False), OrderLifecycle.installer(wang))

    dispatcher.execute(DeclineOffer(offer.id, "van broke down"), OrderLifecycle.installer(wang))

    assert _offers_of(dispatcher, order.id) == ("offered", [(wang, "declined"), (zhang, "sent")])


def test_an_order_revoked_from_an_installer_gone_off_duty_goes_to_the_next_one(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    wang, zhang = _open_small_city(dispatcher, capacity=2)
    order = _new_order(dispatcher)
    assert order.current_offer is not None
    assert order.current_offer.installer_id == wang
    dispatcher.execute(SetDuty(wang, False), OrderLifecycle.installer(wang))
    engine = DeadlineEngine(dispatcher)

    for period in (300, 300, 600):
        assert engine.run_due(clock.advance(period)) == 1

    assert _offers_of(dispatcher, order.id) == ("offered", [(wang, "revoked"), (zhang, "sent")])
