"""The browser clients: the installer's app at ``/app``, the dispatcher console at ``/console``
and the script and style of the customer's tracking page at ``/track``.

They are static HTML, CSS and JavaScript modules shipped inside the package — no build step,
nothing from a CDN. Every file goes out with a strict Content-Security-Policy (scripts and
styles only from this origin, no inline code) and ``no-cache``, so a deployment's update
reaches phones at the next load while ETags keep reloads cheap.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from dispatchd.api.json_response import JSONResponse

WEB_ROOT = Path(__file__).resolve().parent.parent.parent / "web"

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("image/svg+xml", ".svg")

router = APIRouter(include_in_schema=False)


def content_security_policy(tile_url: str | None) -> str:
    """The pages' CSP: this origin only, plus the map tile server when one is configured."""
    images = "'self' data: blob:"
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        images += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        "media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


class WebFiles(StaticFiles):
    """Static files with the security and caching headers every page of the clients needs."""

    def __init__(self, directory: Path, csp: str) -> None:
        super().__init__(directory=directory, html=True)
        self._csp = csp

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, marked never to be cached without revalidation and never framed."""
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = self._csp
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


@router.get("/")
def home() -> RedirectResponse:
    """The bare address leads to the console; installers bookmark ``/app/``."""
    return RedirectResponse("/console/", status_code=307)


@router.get("/app")
def installer_app() -> RedirectResponse:
    """The installer's app lives under ``/app/`` (the service worker's scope)."""
    return RedirectResponse("/app/", status_code=307)


@router.get("/console")
def console() -> RedirectResponse:
    """The dispatcher console lives under ``/console/``."""
    return RedirectResponse("/console/", status_code=307)


@router.get("/web/config.json")
def client_config(request: Request) -> JSONResponse:
    """What the pages need to know about the deployment before anyone logs in."""
    settings = request.app.state.dispatcher.settings
    body: dict[str, Any] = {
        "currency": settings.currency,
        "locale": settings.locale,
        "map_tile_url": settings.map_tile_url,
        "map_tile_attribution": settings.map_tile_attribution,
        "map_app": settings.resolved_map_app(),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


def install_web_clients(app: FastAPI, tile_url: str | None) -> FastAPI:
    """Serve the clients (page routes, static trees; their API is among the others'); returns
    the app."""
    csp = content_security_policy(tile_url)
    app.include_router(router)
    app.mount("/app", WebFiles(WEB_ROOT / "installer", csp), name="installer-app")
    app.mount("/console", WebFiles(WEB_ROOT / "console", csp), name="console")
    app.mount("/web", WebFiles(WEB_ROOT / "shared", csp), name="web-shared")
    app.mount("/track", WebFiles(WEB_ROOT / "track", csp), name="tracking-page")
    return app
