"""``GET /stats``: the console's KPIs — time to accept, revocations, penalties, flags per day,
and the money of each day: fees credited, penalties booked and penalties waived.

Days are the console user's calendar days (``utc_offset_min`` from the browser), so "today"
on the chart is the dispatcher's today, not UTC's.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Query

from dispatchd.api.deps import ConsoleActor, DispatcherDep
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.responses import AcceptBucket, DayStats, StatsOut, TimeToAccept
from dispatchd.domain.events import EventName
from dispatchd.domain.ledger import JOB_FEE, PENALTY_REASONS, PENALTY_WAIVED
from dispatchd.domain.timefmt import rfc3339
from dispatchd.store.event_log import Audience
from dispatchd.store.stats import (
    BookedEntry,
    CountedEvent,
    events_between,
    ledger_between,
    orders_by_status,
)

router = APIRouter(tags=["console"])

ACCEPT_BUCKETS_S = (30, 60, 120, 300, 600, 1800)


@router.get("/stats", response_model=StatsOut)
def get_stats(
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    days: int = Query(default=14, ge=1, le=90),
    utc_offset_min: int = Query(default=0, ge=-720, le=840),
) -> JSONResponse:
    """KPIs over the last ``days`` days of the caller's zones."""
    offset = timedelta(minutes=utc_offset_min)
    until = dispatcher.clock.now()
    first_day = (until + offset).date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), until.tzinfo) - offset
    audience = Audience(zone_ids=actor.zone_ids)
    with dispatcher.reading() as conn:
        events = list(events_between(conn, since, until, audience))
        by_status = orders_by_status(conn, actor.zone_ids)
        booked = ledger_between(conn, since, until, actor.zone_ids)
    calendar = [first_day + timedelta(days=n) for n in range(days)]
    per_day = _per_day(events, _money_per_day(booked, offset), offset, calendar)
    waits = [w for w in (_accept_wait_s(e) for e in events) if w is not None]
    stats = StatsOut(
        since=rfc3339(since),
        until=rfc3339(until),
        utc_offset_min=utc_offset_min,
        currency=dispatcher.settings.currency,
        days=per_day,
        time_to_accept=_time_to_accept(waits),
        orders_by_status=by_status,
    )
    return JSONResponse(stats)


def _money_per_day(booked: list[BookedEntry], offset: timedelta) -> dict[date, dict[str, int]]:
    """Each day's fees credited, penalties booked (as a positive sum) and penalties waived."""
    money: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in booked:
        tally = money[(entry.at + offset).date()]
        if entry.reason == JOB_FEE:
            tally["fees_credited"] += entry.amount
        elif entry.reason in PENALTY_REASONS:
            tally["penalties_booked"] -= entry.amount
        elif entry.reason == PENALTY_WAIVED:
            tally["penalties_waived"] += entry.amount
            tally["waivers"] += 1
    return money


def _per_day(
    events: list[CountedEvent],
    money: dict[date, dict[str, int]],
    offset: timedelta,
    days: list[date],
) -> list[DayStats]:
    counts: dict[date, dict[str, int]] = {day: defaultdict(int) for day in days}
    waits: dict[date, list[float]] = {day: [] for day in days}
    for event in events:
        day = (event.at + offset).date()
        if day not in counts:
            continue
        tally = counts[day]
        tally[event.name] += 1
        if event.name == EventName.OFFER_PENALIZED:
            tally["penalty_amount"] += int(event.data.get("amount") or 0)
        wait = _accept_wait_s(event)
        if wait is not None:
            waits[day].append(wait)
    return [
        DayStats(
            date=day.isoformat(),
            offers_sent=counts[day][EventName.OFFER_SENT],
            accepted=counts[day][EventName.OFFER_ACCEPTED],
            revocations=counts[day][EventName.OFFER_REVOKED],
            penalties=counts[day][EventName.OFFER_PENALIZED],
            penalty_amount=counts[day]["penalty_amount"],
            completions=counts[day][EventName.ORDER_COMPLETED],
            flagged_completions=counts[day][EventName.ORDER_FLAGGED],
            median_accept_s=round(statistics.median(waits[day]), 1) if waits[day] else None,
            fees_credited=money[day]["fees_credited"],
            penalties_booked=money[day]["penalties_booked"],
            penalties_waived=money[day]["penalties_waived"],
            waivers=money[day]["waivers"],
        )
        for day in days
    ]


def _accept_wait_s(event: CountedEvent) -> float | None:
    """Seconds from the offer being sent to its acceptance, for an ``offer.accepted`` event."""
    if event.name != EventName.OFFER_ACCEPTED or not event.data.get("sent_at"):
        return None
    try:
        sent = datetime.fromisoformat(str(event.data["sent_at"]))
    except ValueError:
        return None
    return max(0.0, (event.at - sent).total_seconds())


def _time_to_accept(waits: list[float]) -> TimeToAccept:
    buckets = []
    lower = -1.0
    for upper in (*ACCEPT_BUCKETS_S, None):
        count = sum(1 for w in waits if w > lower and (upper is None or w <= upper))
        buckets.append(AcceptBucket(up_to_s=upper, count=count))
        lower = float(upper) if upper is not None else lower
    ordered = sorted(waits)
    return TimeToAccept(
        count=len(ordered),
        median_s=round(statistics.median(ordered), 1) if ordered else None,
        p90_s=round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)
        if ordered
        else None,
        buckets=buckets,
    )
