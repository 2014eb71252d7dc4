"""The FastAPI application: routes, error handling, limits and the background workers."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from starlette.routing import BaseRoute

from dispatchd import __version__
from dispatchd.api.auth import TokenCache
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.limits import BodyGuard, CleanUrl, InputLimits
from dispatchd.api.media_types import require_media_type
from dispatchd.api.metrics import Metrics, RequestMetrics
from dispatchd.api.openapi import install_openapi
from dispatchd.api.problems import install_problem_handlers
from dispatchd.api.query_names import refuse_unknown_query_parameters
from dispatchd.api.ratelimit import AttemptLimits
from dispatchd.api.routes import (
    after_acceptance,
    alerts,
    auth,
    clients,
    events,
    health,
    installers,
    jobs,
    me,
    message_templates,
    metrics,
    offers,
    orders,
    policy,
    track,
    zones,
)
from dispatchd.api.routes.web import install_web_clients
from dispatchd.config import Settings
from dispatchd.engine.broadcast import EventHub
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.engine.listener import wakeup_listener
from dispatchd.engine.outbox import OutboxRelay
from dispatchd.engine.positions import PositionSaver
from dispatchd.engine.runner import BackgroundRunner
from dispatchd.logs import configure_logging
from dispatchd.notify.outbound import OutboundGuard, Resolver, system_resolver
from dispatchd.notify.pinned_https import PinnedHttpsClient
from dispatchd.notify.push_sender import WebPushSender
from dispatchd.notify.sms import sms_channel
from dispatchd.service.actors import SYSTEM
from dispatchd.service.bootstrap import bootstrap
from dispatchd.service.clock import Clock, DatabaseClock, SystemClock
from dispatchd.service.commands import ForgetGonePhone
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.database import Database
from dispatchd.store.photos import PhotoStore

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    resolver: Resolver = system_resolver,
) -> FastAPI:
    """Build the application; the database is migrated and workers started on startup.

    ``resolver`` looks up the hosts of push endpoints (tests give a stub: no network).
    """
    settings = settings or Settings()
    configure_logging()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url(), settings.database_pool_size)
    dispatcher = Dispatcher(database, clock or _default_clock(settings, database), settings)
    engine = DeadlineEngine(dispatcher, settings.engine_batch_size, settings.engine_poll_s)
    hub = EventHub(dispatcher, settings.event_poll_s)
    listener = wakeup_listener(database, hub, engine)
    app_metrics = Metrics(dispatcher, engine, hub)
    outbound = PinnedHttpsClient(OutboundGuard(settings.push_host_rules(), resolver))
    relay = _outbox_relay(dispatcher, settings, outbound)
    photos = PhotoStore(settings.data_dir / "photos")
    runner = BackgroundRunner(engine, relay) if settings.run_engine else None
    saver = PositionSaver(dispatcher, settings.position_save_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        bootstrap(dispatcher)
        _sweep_photo_parts(photos, dispatcher)
        await hub.start()
        if listener is not None:
            listener.start()
        if runner is not None:
            runner.start()
        saver.start()
        try:
            yield
        finally:
            saver.stop()
            if runner is not None:
                runner.stop()
            if listener is not None:
                listener.stop()
            await hub.stop()
            dispatcher.close()
            database.dispose()

    app = FastAPI(
        title="dispatchd",
        version=__version__,
        summary="Dispatch server for on-site installation jobs",
        lifespan=lifespan,
        default_response_class=JSONResponse,
        dependencies=APP_DEPENDENCIES,
    )
    app.state.dispatcher = dispatcher
    app.state.engine = engine
    app.state.hub = hub
    app.state.runner = runner
    app.state.position_saver = saver
    app.state.token_cache = TokenCache()
    app.state.attempt_limits = AttemptLimits.from_settings(settings)
    app.state.photos = photos
    app.state.relay = relay
    app.state.outbound = outbound
    app.state.listener = listener
    app.state.metrics = app_metrics
    _install_http(app, settings, app_metrics)
    return install_web_clients(app, settings.map_tile_url)


def _sweep_photo_parts(photos: PhotoStore, dispatcher: Dispatcher) -> None:
    """Settle the photo files a crash left half-done: kept if their completion committed."""

    def keys_in_use(keys: set[str]) -> set[str]:
        with dispatcher.reading() as conn:
            return UnitOfWork(conn).orders.photo_keys_in_use(keys)

    photos.sweep(keys_in_use)


def _outbox_relay(
    dispatcher: Dispatcher, settings: Settings, outbound: PinnedHttpsClient
) -> OutboxRelay:
    """The relay with the SMS channel and Web Push sender the settings name."""
    return OutboxRelay(
        dispatcher,
        sms_channel(settings.sms_url, settings.data_dir),
        dispatcher.key,
        push=WebPushSender(
            dispatcher.reading,
            lambda endpoint: dispatcher.execute(ForgetGonePhone(endpoint), SYSTEM),
            settings.resolved_push_subject(),
            outbound,
        ),
        max_attempts=settings.outbox_max_attempts,
        poll_s=settings.engine_poll_s,
        lease_s=settings.outbox_lease_s,
    )


#: What every request runs before its operation, and every API request too: both only read the
#: request, so they are ``async def`` and never wait for a worker thread.
APP_DEPENDENCIES = [Depends(refuse_unknown_query_parameters)]
API_DEPENDENCIES = [Depends(require_media_type)]


def _install_http(app: FastAPI, settings: Settings, app_metrics: Metrics) -> None:
    """Error handling, the OpenAPI document, request guards and every operation."""
    install_problem_handlers(app)
    install_openapi(app)
    app.add_middleware(BodyGuard, limits=InputLimits.from_settings(settings))
    app.add_middleware(RequestMetrics, counter=app_metrics.http_requests)
    app.add_middleware(CleanUrl)
    app.router.routes.extend(_operations())


@functools.cache
def _operations() -> tuple[BaseRoute, ...]:
    """Every operation of the API, built once per process and shared by each application.

    Building an operation makes the pydantic schemas of its parameters and answers: about a
    second for all of them, more than everything else an application costs. What is built
    depends on no setting and holds no state (an operation reaches its dispatcher through
    ``request.app``, the application serving the request), so the applications of one process
    (a test suite makes hundreds) share one build.
    """
    builder = FastAPI(
        default_response_class=JSONResponse,
        dependencies=APP_DEPENDENCIES,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    api = APIRouter(prefix=API_PREFIX, dependencies=API_DEPENDENCIES)
    for module in (
        auth,
        zones,
        installers,
        me,
        policy,
        orders,
        jobs,
        after_acceptance,
        offers,
        alerts,
        events,
        clients,
        message_templates,
    ):
        api.include_router(module.router)
    api.include_router(track.api_router)
    builder.include_router(api)
    builder.include_router(track.page_router)
    builder.include_router(health.router)
    builder.include_router(metrics.router)
    return tuple(builder.router.routes)


def _default_clock(settings: Settings, database: Database) -> Clock:
    """The database's clock when processes share PostgreSQL, else the system's."""
    return DatabaseClock(database.now) if settings.uses_database_clock() else SystemClock()
