"""Serving the web app with uvicorn: alone (``forumwatch web``) or in a thread beside the
service's crawls (``web_companion``, a ``ServeOptions.companions`` factory).

``WebServer`` binds its socket itself, in ``start``, so a port already taken is an ``OSError``
there (not a log line from a thread) and port 0 picks a free port (``WebServer.port``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Final

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from crawler.config import Config

logger = logging.getLogger(__name__)

START_TIMEOUT: Final = 15.0
STOP_TIMEOUT: Final = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and accepted sockets inherit it (with 0, every small answer waited ~40 ms for an ACK)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def uvicorn_server(app: FastAPI, *, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="off", server_header=False
    )
    return uvicorn.Server(config)


class WebServer:
    """The web app served by uvicorn in a thread: ``start()``, ``stop()``, ``port``."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Listen and serve in a thread; returns once requests are answered (OSError when the
        address cannot be bound, RuntimeError when the server did not come up)."""
        self._socket = bind(self.host, self.requested_port)
        self.port = self._socket.getsockname()[1]
        server = self._server = uvicorn_server(self.app)
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self._socket]},
            name="forumwatch-web",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the web server did not start on {self.url}")
            time.sleep(0.02)
        logger.info("web app served on %s", self.url)

    def wake(self) -> None:
        """Nothing to do after a crawl (a companion's duty)."""

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        if self._server is not None:
            self._server.should_exit = True
        stopped = True
        if self._thread is not None:
            self._thread.join(timeout)
            stopped = not self._thread.is_alive()
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        return stopped


class WebCompanion:
    """``forumwatch serve``'s web app: a ``WebServer`` whose app follows configuration reloads.

    A port that cannot be bound is logged and the service goes on crawling without the app.
    """

    def __init__(self, server: WebServer, get_config: Callable[[], Config]) -> None:
        self.server = server
        self.get_config = get_config

    def start(self) -> None:
        try:
            self.server.start()
        except (OSError, RuntimeError) as error:
            logger.error(
                "web app not served on %s:%s: %s", self.server.host, self.server.port, error
            )

    def wake(self) -> None:
        self.server.app.state.config = self.get_config()

    def stop(self) -> bool:
        return self.server.stop()


def web_companion(
    host: str | None = None, port: int | None = None
) -> Callable[[Engine, Callable[[], Config]], WebCompanion]:
    """A companion factory serving the web app on ``host:port`` (default: the ``web:`` config)."""

    def make(engine: Engine, get_config: Callable[[], Config]) -> WebCompanion:
        from crawler.web.app import create_app

        config = get_config()
        server = WebServer(
            create_app(engine, config),
            host or config.web.host,
            config.web.port if port is None else port,
        )
        return WebCompanion(server, get_config)

    return make


def serve_forever(engine: Engine, config: Config, host: str, port: int) -> None:
    """``forumwatch web``: serve the app in this thread until SIGINT/SIGTERM."""
    from crawler.web.app import create_app

    sock = bind(host, port)
    logger.info("web app served on http://%s:%d", host, sock.getsockname()[1])
    try:
        uvicorn_server(create_app(engine, config), log_level="info").run(sockets=[sock])
    finally:
        sock.close()
