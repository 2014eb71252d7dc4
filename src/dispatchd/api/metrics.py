"""What an operator of many processes watches, in Prometheus text format (``GET /metrics``).

Figures of this process — deadlines fired, events appended, SSE clients, HTTP requests — are
counters in memory and cost nothing to read. Figures of the whole deployment — deadline lag,
pending deadlines, outbox backlog — take three indexed queries per scrape; every process
answers them the same way, so scraping any one of them is enough.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatchd.engine.broadcast import EventHub
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.unit_of_work import CommitSummary, UnitOfWork

log = structlog.get_logger(__name__)


class Metrics:
    """One process's registry: its counters plus the collector that asks the database.

    The registry does not describe collectors on registration (that would run a scrape), so
    building an application opens no database connection.
    """

    def __init__(self, dispatcher: Dispatcher, engine: DeadlineEngine, hub: EventHub) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "dispatchd_http_requests",
            "HTTP requests answered, by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.events_appended = Counter(
            "dispatchd_events_appended",
            "Events this process appended to the event log",
            registry=self.registry,
        )
        self.registry.register(DeploymentCollector(dispatcher, engine, hub))
        dispatcher.on_commit(self._on_commit)

    def _on_commit(self, summary: CommitSummary) -> None:
        if summary.events:
            self.events_appended.inc(summary.events)


class DeploymentCollector(Collector):
    """Reads the deadline and outbox figures at scrape time, plus the workers' own state."""

    def __init__(self, dispatcher: Dispatcher, engine: DeadlineEngine, hub: EventHub) -> None:
        self._dispatcher = dispatcher
        self._engine = engine
        self._hub = hub

    def collect(self) -> Iterator[Metric]:
        """The metrics of one scrape."""
        yield CounterMetricFamily(
            "dispatchd_deadlines_fired",
            "Deadline steps this process ran",
            value=self._engine.fired,
        )
        yield GaugeMetricFamily(
            "dispatchd_sse_clients",
            "Event-stream clients connected to this process",
            value=self._hub.subscribers,
        )
        yield GaugeMetricFamily(
            "dispatchd_deadline_engine_running",
            "1 while this process's deadline engine loop runs",
            value=1 if self._engine.running else 0,
        )
        yield from self._database_figures()

    def _database_figures(self) -> Iterator[Metric]:
        try:
            with self._dispatcher.reading() as conn:
                uow = UnitOfWork(conn)
                oldest = uow.deadlines.next_due_at()
                pending = uow.deadlines.pending()
                backlog = uow.outbox.backlog()
                unpublished = uow.events.unpublished()
        except Exception as exc:
            log.warning("metrics: database unreachable", error=type(exc).__name__)
            yield GaugeMetricFamily("dispatchd_database_up", "1 when the database answers", 0)
            return
        now = self._dispatcher.clock.now()
        lag = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        yield GaugeMetricFamily("dispatchd_database_up", "1 when the database answers", 1)
        yield GaugeMetricFamily(
            "dispatchd_deadline_lag_seconds",
            "How long the oldest pending deadline has been due (0 when none is overdue)",
            value=lag,
        )
        yield GaugeMetricFamily(
            "dispatchd_deadlines_pending", "Deadlines waiting to fire", value=pending
        )
        yield GaugeMetricFamily(
            "dispatchd_outbox_backlog", "Outgoing messages waiting for delivery", value=backlog
        )
        yield GaugeMetricFamily(
            "dispatchd_events_unpublished",
            "Events committed but not yet given an id by a publication round",
            value=unpublished,
        )


class RequestMetrics:
    """ASGI middleware counting each response by its route template, not its raw path.

    Templates (``/api/v1/orders/{order_id}``) keep the label set small whatever ids arrive.
    """

    def __init__(self, app: ASGIApp, counter: Counter) -> None:
        self.app = app
        self._counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and count its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            self._counter.labels(scope["method"], _route(scope), str(status)).inc()


def _route(scope: Scope) -> str:
    """The matched route's template with the router prefix the raw path carries in front."""
    route: Any = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return "unmatched"
    segments = str(scope["path"]).split("/")
    kept = len(segments) - len(template.split("/")) + 1
    return "/".join(segments[:kept]) + template if kept > 0 else template
