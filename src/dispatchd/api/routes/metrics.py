"""``GET /metrics``: Prometheus text format, for scraping each process."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dispatchd.api.metrics import Metrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Deadline lag and backlog for the deployment; requests, SSE clients for this process."""
    state: Metrics = request.app.state.metrics
    return Response(generate_latest(state.registry), media_type=CONTENT_TYPE_LATEST)
