"""A programmable hostile site on loopback for the fault suite.

``HostileSite`` serves routes given as callables on 127.0.0.1 (port 0; or on another loopback
address, ``::1`` included) from a background thread, records every request, and stops promptly
even while a handler drips a body slowly.
``write_config`` writes a forumwatch config for such sites (private networks allowed: the sites are
on loopback), and ``crawl`` runs the real CLI against it with a bounded time.

A route handler gets the ``Request`` and returns a ``Reply`` (status, headers, body bytes or an
iterator of chunks, an optional pause between chunks).
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.fixtures_sites import FAST_RETRIES, run_cli

FAST: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    **FAST_RETRIES,
    "DOWNLOAD_TIMEOUT": 10,
}


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    pause: float = 0.0
    """Seconds to wait before each chunk of an iterable body."""


Handler = Callable[[Request], Reply]


def html(body: str, status: int = 200, **headers: str) -> Reply:
    return Reply(status=status, body=body.encode("utf-8"), headers=dict(headers))


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location}, content_type=None)


class HostileSite:
    """Routes (exact path, or a path prefix ending in ``*``) -> handlers; 404 otherwise."""

    def __init__(
        self, routes: Mapping[str, Handler] | None = None, *, host: str = "127.0.0.1"
    ) -> None:
        self.host = host
        """Loopback address to listen on: 127.0.0.1, another 127.x.y.z, or ``::1``."""
        self.routes: dict[str, Handler] = dict(routes or {})
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self.max_in_flight = 0

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "site not started"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._httpd.server_port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def handler_for(self, path: str) -> Handler | None:
        if path in self.routes:
            return self.routes[path]
        for pattern, handler in self.routes.items():
            if pattern.endswith("*") and path.startswith(pattern[:-1]):
                return handler
        return None

    def __enter__(self) -> HostileSite:
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 60

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                request = Request("GET", split.path, split.query, dict(self.headers.items()))
                with site._lock:
                    site.requests.append(request)
                    site._in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site._in_flight)
                try:
                    handler = site.handler_for(split.path)
                    reply = handler(request) if handler else Reply(404, b"not found")
                    self._send(reply)
                except (ConnectionError, TimeoutError, OSError):
                    self.close_connection = True
                finally:
                    with site._lock:
                        site._in_flight -= 1

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, bytes):
                    if "Content-Length" not in reply.headers:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                for chunk in reply.body:
                    if site._stopping.is_set():
                        return
                    if reply.pause:
                        site._stopping.wait(reply.pause)
                    self.wfile.write(chunk)
                    self.wfile.flush()

        class _Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            address_family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._httpd = _Server((self.host, 0), _Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def free_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    tmp_path: Path,
    sources: Iterable[Mapping[str, Any]],
    *,
    db_url: str | None = None,
    settings: Mapping[str, Any] | None = None,
    allow_private_networks: bool = True,
    **extra: Any,
) -> Path:
    """Write ``tmp_path/forumwatch.yaml``; the database defaults to ``tmp_path/fw.db``."""
    config: dict[str, Any] = {
        "database": db_url or f"sqlite:///{tmp_path / 'fw.db'}",
        "allow_private_networks": allow_private_networks,
        "scrapy_settings": {**FAST, **(settings or {})},
        "sources": [dict(source) for source in sources],
        **extra,
    }
    path = tmp_path / "forumwatch.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def source(source_id: str, *start_urls: str, **fields: Any) -> dict[str, Any]:
    return {"id": source_id, "name": source_id, "start_urls": list(start_urls), **fields}


def crawl(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``forumwatch --config CONFIG crawl ARGS...``, bounded in time."""
    return run_cli(config, "crawl", *args, timeout=timeout)


def chunks(total: int, size: int = 64 * 1024, byte: bytes = b"a") -> Iterator[bytes]:
    """``total`` bytes of filler in chunks (for huge bodies without holding them in memory)."""
    block = byte * size
    sent = 0
    while sent < total:
        piece = block[: min(size, total - sent)]
        sent += len(piece)
        yield piece
