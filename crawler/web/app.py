"""The web app: the HTTP API under ``/api``, Atom feeds under ``/feeds`` and, when
``crawler.web.pages`` exists, the UI pages and their static files.

Every response carries the security headers of ``SECURITY_HEADERS`` (a strict
Content-Security-Policy: crawled text is hostile) and, unless a route set its own,
``Cache-Control: no-store`` (answers depend on the token). ``app.state.engine`` and
``app.state.config`` hold the database engine and the configuration. FastAPI's interactive docs
are off (they load scripts from a CDN, which the policy forbids); the schema is at
``/openapi.json``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine

from crawler.config import Config

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
STATIC_DIR: Final = Path(__file__).resolve().parent / "static"


def create_app(engine: Engine, config: Config) -> FastAPI:
    """The whole web app on ``engine``'s database."""
    from crawler.web import api, feeds

    app = FastAPI(
        title="forumwatch",
        summary="Articles, search, stories, sources and alerts gathered by forumwatch.",
        version="1",
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.config = config
    app.include_router(api.router, prefix="/api")
    app.include_router(feeds.router, prefix="/feeds")
    if importlib.util.find_spec("crawler.web.pages") is not None:
        pages = importlib.import_module("crawler.web.pages")
        app.include_router(pages.router)
        if STATIC_DIR.is_dir():
            from fastapi.staticfiles import StaticFiles

            app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.middleware("http")(_security_headers)
    return app


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
