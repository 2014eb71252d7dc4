"""Liveness and readiness for load balancers and process supervisors."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from dispatchd.api.json_response import JSONResponse

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and (if this process runs it) the engine is running."""
    state = request.app.state
    checks: dict[str, str] = {}
    try:
        with state.dispatcher.reading() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    runner = state.runner
    if runner is not None:
        checks["deadline_engine"] = "ok" if runner.engine_alive() else "stopped"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
    )
