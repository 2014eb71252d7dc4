"""The customer's tracking link: status and, once accepted, the installer — nothing else;
and what the customer may do through it: rate the finished job, ask to move the visit.

The link's token (192 random bits) is the only credential, so lookups are rate-limited per
client address and per link to make guessing pointless as well as hopeless, and the two
requests that write have tighter limits of their own.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from dispatchd.api.deps import DispatcherDep
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.problems import Problem
from dispatchd.api.ratelimit import count_customer_request, count_tracking_lookup
from dispatchd.api.requests import RatingRequest, RescheduleRequest
from dispatchd.api.responses import (
    RatingCreated,
    RescheduleAccepted,
    TrackedOrder,
    rating_view,
    tracked_order_view,
)
from dispatchd.api.routes.web import content_security_policy
from dispatchd.domain.orders import Order, OrderStatus
from dispatchd.domain.timefmt import rfc3339_or_none
from dispatchd.service.actors import CUSTOMER
from dispatchd.service.commands import Command, RateOrder, RequestReschedule
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store import tables as t

api_router = APIRouter(tags=["customer"])
page_router = APIRouter(tags=["customer"])

# The page's own script and style come from /track/ (this origin); nothing inline, no referrer
# (the link's token is in the address), never framed, never kept by a shared cache.
PAGE_HEADERS = {
    "Content-Security-Policy": content_security_policy(None),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
SHOWS_INSTALLER = frozenset({OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED})
MAX_TOKEN = 64


def tracked(dispatcher: Dispatcher, token: str) -> TrackedOrder | None:
    """The customer's view of the order behind a tracking token, or None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    with dispatcher.reading() as conn:
        order_id = conn.execute(
            select(t.orders.c.id).where(t.orders.c.tracking_token == token)
        ).scalar()
        if order_id is None:
            return None
        uow = UnitOfWork(conn)
        order = uow.orders.get(order_id, for_update=False)
        assert order is not None
        installer = (
            uow.installers.get(order.installer_id)
            if order.installer_id and order.status in SHOWS_INSTALLER
            else None
        )
    if installer is not None:
        installer = dispatcher.positions.fresher(installer)
    return tracked_order_view(order, installer, dispatcher.settings)


@api_router.get("/track/{token}", response_model=TrackedOrder)
def track_json(token: str, request: Request, dispatcher: DispatcherDep) -> JSONResponse:
    """The tracking page's data as JSON."""
    count_tracking_lookup(request, dispatcher, token)
    view = tracked(dispatcher, token)
    if view is None:
        raise unknown_link()
    return JSONResponse(view)


def unknown_link() -> Problem:
    """One answer for every token no order has, whatever was asked of it."""
    return Problem(404, "this tracking link is not valid; check the link in your SMS")


def _as_customer(dispatcher: Dispatcher, token: str, command: Command) -> Order:
    if not token or len(token) > MAX_TOKEN:
        raise unknown_link()
    try:
        order: Order = dispatcher.execute(command, CUSTOMER)
    except NotFound:
        raise unknown_link() from None
    return order


@api_router.post(
    "/track/{token}/rating",
    status_code=201,
    response_model=RatingCreated,
)
def rate(
    token: str, body: RatingRequest, request: Request, dispatcher: DispatcherDep
) -> JSONResponse:
    """The customer rates the completed job, once: 1 to 5 stars and an optional comment.

    It counts in the installer's rating, which the ranking weighs; one or two stars raise a
    ``follow_up_required`` alert so a manager calls the customer back. ``409`` before the job
    is completed and for a second rating.
    """
    count_customer_request(request, dispatcher, token)
    order = _as_customer(dispatcher, token, RateOrder(token, body.stars, body.comment))
    assert order.rating is not None
    return JSONResponse(rating_view(order.rating), status_code=201)


@api_router.post(
    "/track/{token}/reschedule",
    status_code=202,
    response_model=RescheduleAccepted,
)
def reschedule(
    token: str, body: RescheduleRequest, request: Request, dispatcher: DispatcherDep
) -> JSONResponse:
    """The customer asks to move the visit: the installer's phone and the managers get a
    ``reschedule_requested`` alert, closed when the window is moved. ``409`` once the
    installation has started (or the order is over)."""
    count_customer_request(request, dispatcher, token)
    command = RequestReschedule(token, body.reason, body.preferred_start)
    _as_customer(dispatcher, token, command)
    answer: RescheduleAccepted = {
        "status": "requested",
        "reason": body.reason.strip(),
        "preferred_start": rfc3339_or_none(body.preferred_start),
    }
    return JSONResponse(answer, status_code=202)


@page_router.get("/t/{token}", response_class=HTMLResponse, include_in_schema=False)
def track_page(
    token: str,
    request: Request,
    dispatcher: DispatcherDep,
    lang: Literal["zh", "en"] | None = Query(default=None),
    accept_language: str | None = Header(default=None),
) -> HTMLResponse:
    """A mobile page for the customer, in Chinese or English, that keeps itself current.

    The server writes the status, steps and installer in the browser's language and the
    deployment's time zone, so the page says something useful before (or without) its script;
    the script then draws the whole page from the same data and keeps it live.
    """
    count_tracking_lookup(request, dispatcher, token)
    language = lang or ("en" if (accept_language or "zh").lower().startswith("en") else "zh")
    view = tracked(dispatcher, token)
    words = WORDS[language]
    if view is None:
        page = _page(words, f"<p>{words['invalid']}</p>", language, data=None)
        return HTMLResponse(page, status_code=404, headers=PAGE_HEADERS)
    zone = dispatcher.settings.zone
    data: dict[str, object] = {"view": view, "time_zone": dispatcher.settings.timezone}
    page = _page(words, _body(view, words, zone), language, data)
    return HTMLResponse(page, headers=PAGE_HEADERS)


def _local(at: str, zone: ZoneInfo) -> str:
    """An RFC 3339 moment as the customer's wall clock shows it ("2026-12-02 17:30")."""
    return datetime.fromisoformat(at).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _body(view: TrackedOrder, words: dict[str, str], zone: ZoneInfo) -> str:
    """The order's card and the installer's card, until the page's script draws its own."""
    esc = html.escape
    steps = [
        ("created", view["created_at"]),
        ("accepted", view["accepted_at"]),
        ("started", view["started_at"]),
        ("completed", view["completed_at"]),
        ("cancelled", view["cancelled_at"]),
    ]
    timeline = "".join(
        f'<li><span>{esc(words[step])}</span><time datetime="{esc(at)}">'
        f"{esc(_local(at, zone))}</time></li>"
        for step, at in steps
        if at
    )
    installer = view["installer"]
    name = esc(installer["name"]) if installer else ""
    phone = esc(installer["phone"]) if installer else ""
    status = words.get("status_" + view["status"], view["status"])
    return (
        f'<section class="card"><h2>{esc(view["product"])}</h2>'
        f'<p class="status">{esc(status)}</p><ol class="steps">{timeline}</ol></section>'
        + (
            f'<section class="card"><h2>{words["installer"]}</h2><p class="name">{name}</p>'
            f'<p><a class="btn ok call" href="tel:{phone}">{words["call"]} {phone}</a></p>'
            "</section>"
            if installer
            else ""
        )
    )


def _page(words: dict[str, str], body: str, language: str, data: dict[str, object] | None) -> str:
    script = ""
    if data is not None:
        # Data for the script, not code: a JSON block is never executed, so the CSP allows it.
        payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
        script = (
            f'<script type="application/json" id="track-data">{payload}</script>'
            '<script type="module" src="/track/main.js"></script>'
        )
    return f"""<!doctype html>
<html lang="{"zh-CN" if language == "zh" else "en"}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="i18n-title" content="title">
<title>{words["title"]}</title>
<link rel="stylesheet" href="/web/base.css"><link rel="stylesheet" href="/track/track.css">
{script}</head>
<body><header class="top"><h1 id="page-title" data-i18n="title">{words["title"]}</h1>
<button type="button" class="btn secondary small" id="language-switch" hidden></button></header>
<main id="track">{body}</main></body></html>"""


WORDS = {
    "zh": {
        "title": "安装进度",
        "invalid": "此链接无效，请检查短信中的链接。",
        "created": "已下单",
        "accepted": "师傅已接单",
        "started": "开始安装",
        "completed": "安装完成",
        "cancelled": "已取消",
        "installer": "安装师傅",
        "call": "拨打",
        "status_pending": "正在为您安排师傅",
        "status_offered": "正在为您安排师傅",
        "status_accepted": "师傅已接单",
        "status_in_progress": "正在安装",
        "status_completed": "安装完成",
        "status_cancelled": "已取消",
    },
    "en": {
        "title": "Installation status",
        "invalid": "This link is not valid; please check the link in your SMS.",
        "created": "Ordered",
        "accepted": "Installer assigned",
        "started": "Installation started",
        "completed": "Installation completed",
        "cancelled": "Cancelled",
        "installer": "Your installer",
        "call": "Call",
        "status_pending": "Finding an installer for you",
        "status_offered": "Finding an installer for you",
        "status_accepted": "An installer is assigned",
        "status_in_progress": "Installation in progress",
        "status_completed": "Installation completed",
        "status_cancelled": "Cancelled",
    },
}
