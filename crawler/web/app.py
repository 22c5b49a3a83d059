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
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    app.add_middleware(SecurityHeaders)
    return app


class SecurityHeaders:
    """Pure ASGI middleware adding ``SECURITY_HEADERS`` (and ``Cache-Control: no-store`` when the
    route set none) to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = [(k, v) for k, v in message.get("headers", []) if k not in _OURS]
                if not any(k.lower() == b"cache-control" for k, _ in raw):
                    raw.append((b"cache-control", b"no-store"))
                message["headers"] = raw + self.headers
            await send(message)

        await self.app(scope, receive, with_headers)


_OURS: Final = frozenset(k.lower().encode() for k in SECURITY_HEADERS)
