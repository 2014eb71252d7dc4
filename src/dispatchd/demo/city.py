"""The demo city: four districts of Shanghai, thirty simulated installers, two human logins.

Everything is seeded through the service layer, on the demo's own SQLite database under
``<data dir>/demo`` (wiped at each start); customer SMS go to a file there, never to a gateway.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field

import structlog

from dispatchd.config import Settings
from dispatchd.domain.escalation import Policy
from dispatchd.domain.geo import Point
from dispatchd.domain.promises import PromiseKind
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import (
    CreateInstaller,
    CreateUser,
    CreateZone,
    ReportLocation,
    SetDuty,
    SetPolicy,
)
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.wire.policy import ladder_from_json, promise_ladder_from_json

log = structlog.get_logger("dispatchd.demo")

ADMIN_PASSWORD = "demo-admin-pass"  # noqa: S105 - printed on start; the demo is public
MANAGER = ("manager", "demo-manager-pass")
HUMAN_INSTALLER = ("installer", "demo-installer-pass")
SIMULATED_PASSWORD = "simulated-installer-pass"  # noqa: S105 - demo only
# Slow enough for a person at the console or on the phone to see each rung coming and act.
LADDER = [
    {"after_s": 40, "action": "remind"},
    {"after_s": 30, "action": "penalize", "amount": 500},
    {"after_s": 40, "action": "revoke"},
]
# The promises after acceptance on the same scale: a job with no window agreed is reminded
# after 15 s and breached 20 s later; a window that ends before the start is breached at once.
PROMISES = {
    "appointment": [
        {"after_s": 15, "action": "remind"},
        {"after_s": 20, "action": "alert"},
        {"after_s": 30, "action": "penalize", "amount": 300},
    ],
    "arrival": [
        {"after_s": 0, "action": "alert"},
        {"after_s": 30, "action": "penalize", "amount": 500},
    ],
    "completion": [{"after_s": 120, "action": "alert"}],
}
# Districts of Shanghai as (name, west, south, east, north).
DISTRICTS = [
    ("静安 Jing'an", 121.40, 31.22, 121.47, 31.27),
    ("黄浦 Huangpu", 121.47, 31.19, 121.51, 31.245),
    ("徐汇 Xuhui", 121.40, 31.15, 121.47, 31.22),
    ("浦东 Pudong", 121.51, 31.17, 121.60, 31.26),
]
NAMES = [
    "王伟",
    "李娜",
    "张敏",
    "刘洋",
    "陈静",
    "杨磊",
    "赵军",
    "黄勇",
    "周杰",
    "吴霞",
    "徐涛",
    "孙丽",
    "胡斌",
    "朱红",
    "高峰",
    "林芳",
    "何平",
    "郭亮",
    "马超",
    "罗琳",
    "梁宇",
    "宋佳",
    "郑凯",
    "谢婷",
    "韩冰",
    "唐诗",
    "冯刚",
    "于洁",
    "董浩",
    "萧然",
]
# Dealt out in turn, so every district has phones of each kind.
TEMPERAMENTS = ["prompt", "late", "prompt", "silent", "prompt", "late", "silent"]

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class SimulatedInstaller:
    """A seeded installer whose phone the demo plays, and how they behave."""

    id: str
    name: str
    username: str
    temperament: str
    home: Point


@dataclass
class DemoCity:
    """What the demo seeded: zones as boxes, the simulated installers, the human logins."""

    zones: list[tuple[str, Box]]
    installers: list[SimulatedInstaller]
    logins: dict[str, str] = field(default_factory=dict)


def demo_settings(settings: Settings) -> Settings:
    """A demo's settings: its own fresh SQLite database, and a file instead of an SMS gateway.

    The data dir is made absolute first: a relative one would turn the SMS file's URL into
    ``file://data/...``, which names a host, not a path.
    """
    data_dir = (settings.data_dir / "demo").resolve()
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": None,
            "sms_url": (data_dir / "sms.jsonl").as_uri(),
            "admin_password": ADMIN_PASSWORD,
            "environment": "development",
            "engine_poll_s": 0.5,
        }
    )


def seed_city(dispatcher: Dispatcher, seed: int = 7) -> DemoCity:
    """Zones, simulated installers on duty at their homes, a manager and a human installer.

    The human installer starts off duty: offers (and penalties) reach them only once they
    switch on duty in the app themselves.
    """
    rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
    policy = Policy(
        escalation=ladder_from_json(LADDER),
        max_auto_attempts=3,
        promises={
            PromiseKind(kind): promise_ladder_from_json(steps, f"promises.{kind}")
            for kind, steps in PROMISES.items()
        },
        max_window_s=3600,
    )
    dispatcher.execute(SetPolicy(policy), SYSTEM)
    zones = []
    for name, west, south, east, north in DISTRICTS:
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        zone = dispatcher.execute(
            CreateZone(name, {"type": "Polygon", "coordinates": [ring]}), SYSTEM
        )
        zones.append((zone.id, (west, south, east, north)))
    dispatcher.execute(CreateUser(MANAGER[0], MANAGER[1], "manager"), SYSTEM)
    centre = zones[1]
    human = _installer(
        dispatcher, "演示师傅 (you)", HUMAN_INSTALLER, [centre[0]], centre[1], rng, on_duty=False
    )
    installers = []
    for index, name in enumerate(NAMES):
        zone_id, box = zones[index % len(zones)]
        neighbours = [zone_id] if rng.random() < 0.7 else [zone_id, zones[(index + 1) % 4][0]]
        username = f"sim{index + 1:02d}"
        home = _installer(dispatcher, name, (username, SIMULATED_PASSWORD), neighbours, box, rng)
        temperament = TEMPERAMENTS[index % len(TEMPERAMENTS)]
        installers.append(SimulatedInstaller(home[0], name, username, temperament, home[1]))

    logins = {
        "admin": ADMIN_PASSWORD,
        MANAGER[0]: MANAGER[1],
        HUMAN_INSTALLER[0]: HUMAN_INSTALLER[1],
    }
    log.info("demo city seeded", installers=len(installers) + 1, zones=len(zones), human=human[0])
    return DemoCity(zones, installers, logins)


def inside(box: Box, rng: random.Random, margin: float = 0.1) -> Point:
    """A random point inside a district, away from its edges by ``margin`` of its size."""
    west, south, east, north = box
    dx, dy = (east - west) * margin, (north - south) * margin
    return Point(
        round(rng.uniform(south + dy, north - dy), 6), round(rng.uniform(west + dx, east - dx), 6)
    )


def outside_every_district() -> Point:
    """Hongqiao, west of every district: an order placed there waits for a manager."""
    return Point(31.197, 121.336)


def _installer(
    dispatcher: Dispatcher,
    name: str,
    login: tuple[str, str],
    zone_ids: list[str],
    box: Box,
    rng: random.Random,
    on_duty: bool = True,
) -> tuple[str, Point]:
    phone = f"+86138{rng.randrange(10_000_000, 99_999_999)}"
    capacity = rng.choice([2, 3, 3, 4])
    record = dispatcher.execute(
        CreateInstaller(name, phone, tuple(zone_ids), capacity, (), login[0], login[1]), SYSTEM
    )
    home = inside(box, rng)
    dispatcher.execute(ReportLocation(record.id, home), SYSTEM)
    if on_duty:
        dispatcher.execute(SetDuty(record.id, True), SYSTEM)
    return record.id, home


def banner(city: DemoCity, url: str) -> str:
    """What to open and how to log in, for the start-up banner."""
    logins = city.logins
    steps = " → ".join(f"{step['action']} {step['after_s']} s" for step in LADDER)
    return (
        f"[bold]demo city[/]: {len(city.zones)} zones, {len(city.installers) + 1} installers, "
        f"a new order every few seconds; ladder: {steps}\n"
        f"console: {url}/console/  — [bold]manager[/] / [bold]{logins['manager']}[/] "
        f"(or admin / {logins['admin']})\n"
        f"installer app: {url}/app/  — [bold]installer[/] / [bold]{logins['installer']}[/] "
        "(a phone nobody simulates: go on duty and answer its offers yourself)"
    )
