"""The FastAPI application: routes, error handling, limits and the background workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from dispatchd import __version__
from dispatchd.api.limits import BodySizeLimit
from dispatchd.api.problems import install_problem_handlers
from dispatchd.api.ratelimit import RateLimiter
from dispatchd.api.routes import (
    alerts,
    auth,
    events,
    health,
    installers,
    me,
    offers,
    orders,
    policy,
    zones,
)
from dispatchd.config import Settings
from dispatchd.engine.broadcast import EventHub
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.engine.runner import BackgroundRunner
from dispatchd.logs import configure_logging
from dispatchd.service.bootstrap import bootstrap
from dispatchd.service.clock import Clock, SystemClock
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store.database import Database

API_PREFIX = "/api/v1"
UPLOAD_OVERHEAD = 1024 * 1024


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """Build the application; the database is migrated and workers started on startup."""
    settings = settings or Settings()
    configure_logging()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url())
    dispatcher = Dispatcher(database, clock or SystemClock(), settings)
    engine = DeadlineEngine(dispatcher, settings.engine_batch_size, settings.engine_poll_s)
    hub = EventHub(dispatcher)
    runner = BackgroundRunner(engine) if settings.run_engine else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        bootstrap(dispatcher)
        await hub.start()
        if runner is not None:
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            await hub.stop()
            database.dispose()

    app = FastAPI(
        title="dispatchd",
        version=__version__,
        summary="Dispatch server for on-site installation jobs",
        lifespan=lifespan,
    )
    app.state.dispatcher = dispatcher
    app.state.engine = engine
    app.state.hub = hub
    app.state.runner = runner
    app.state.login_limiter = RateLimiter(settings.login_attempts_per_minute, 60.0)
    install_problem_handlers(app)
    app.add_middleware(
        BodySizeLimit,
        json_limit=settings.max_json_bytes,
        upload_limit=settings.max_photo_bytes + UPLOAD_OVERHEAD,
    )
    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, zones, installers, me, policy, orders, offers, alerts, events):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    return app
