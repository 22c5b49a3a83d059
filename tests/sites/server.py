"""A static HTTP/1.1 server for the fixture sites, with per-path misbehaviour declared as data.

Each site is a directory under ``tests/sites/`` (written by ``build_sites.py``). Files are served as
bytes. A request with a query string is answered from ``<path>@<sorted query>`` when that file
exists (``list-12.html@page=2``), else from ``<path>``, as a real server ignores unknown
parameters. Names starting with ``_`` or ``.`` and names containing ``@`` are never served.

``_site.yaml`` in the site directory declares the site's server behaviour::

    server: nginx/1.18.0        # Server header
    charset: utf-8              # appended to text Content-Types; null for no charset in headers
    paths:
      /a.htm: {redirect: /b.htm, status: 301}
      /list-12.html?page=2: {delay: 0.2}

Per-path keys: ``content_type`` (the whole header, served verbatim), ``status``, ``redirect``,
``size_bytes`` (a generated body of exactly that size), ``delay`` (seconds), ``body_prefix``
(bytes put before the file, e.g. junk before ``<html>``), ``template`` (replace ``{{base_url}}``
in the body with the server's base URL, for feeds and sitemaps that need absolute URLs) and
``headers`` (extra response headers).

Nothing is logged unless ``verbose=True``; every request is recorded in ``SiteServer.hits``.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from glob import escape as glob_escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import yaml

logger = logging.getLogger(__name__)

SITES_DIR = Path(__file__).resolve().parent
SITE_FILE = "_site.yaml"
EXPECTED_FILE = "_expected.yaml"
BASE_URL_TOKEN = b"{{base_url}}"
INDEX_FILES = ("index.html", "index.htm", "default.htm", "default.asp")
_CHUNK = 64 * 1024

_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".asp": "text/html",
    ".aspx": "text/html",
    ".jsp": "text/html",
    ".php": "text/html",
    ".xml": "text/xml",
    ".txt": "text/plain",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_CHARSET_TYPES = ("text/", "application/javascript", "application/json")
_RULE_KEYS = frozenset(
    {
        "content_type",
        "status",
        "redirect",
        "size_bytes",
        "delay",
        "body_prefix",
        "template",
        "headers",
    }
)


class Hit(NamedTuple):
    """One request the server answered."""

    method: str
    target: str
    user_agent: str


@dataclass(frozen=True)
class PathRule:
    """Declared behaviour of one path (all fields optional)."""

    content_type: str | None = None
    status: int | None = None
    redirect: str | None = None
    size_bytes: int | None = None
    delay: float = 0.0
    body_prefix: str | None = None
    template: bool = False
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteConfig:
    """A site's ``_site.yaml``: server header, header charset and per-path rules."""

    server: str = "nginx"
    charset: str | None = "utf-8"
    paths: dict[str, PathRule] = field(default_factory=dict)

    def rule_for(self, path: str, query: str) -> PathRule:
        if query:
            rule = self.paths.get(f"{path}?{query}")
            if rule is not None:
                return rule
        return self.paths.get(path, PathRule())


def load_site_config(root: Path) -> SiteConfig:
    """Read ``root/_site.yaml``; a site without one is served plainly as UTF-8."""
    path = root / SITE_FILE
    if not path.exists():
        return SiteConfig()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules: dict[str, PathRule] = {}
    for key, spec in (raw.get("paths") or {}).items():
        unknown = set(spec) - _RULE_KEYS
        if unknown:
            raise ValueError(f"{path}: {key}: unknown keys {sorted(unknown)}")
        target, _, query = key.partition("?")
        rules[f"{target}?{normalize_query(query)}" if query else target] = PathRule(**spec)
    return SiteConfig(
        server=str(raw.get("server", "nginx")),
        charset=raw.get("charset", "utf-8"),
        paths=rules,
    )


def normalize_query(query: str) -> str:
    """A query string with its parameters sorted, as the file names on disk spell it."""
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)), safe="/:,")


def content_type_for(name: str, charset: str | None) -> str:
    """Content-Type for a file name (the ``@query`` suffix ignored), with the site charset."""
    suffix = Path(name.split("@", 1)[0]).suffix.lower()
    ctype = _TYPES.get(suffix, "application/octet-stream")
    if charset and ctype.startswith(_CHARSET_TYPES):
        return f"{ctype}; charset={charset}"
    return ctype


class _HTTPServer(ThreadingHTTPServer):
    """Tracks open connections so stop() can end keep-alive handlers promptly."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], owner: SiteServer) -> None:
        self.owner = owner
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # clients hang up mid-body on purpose (size caps); not a server fault
        logger.exception("site server %s: error answering %s", self.owner.name, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def version_string(self) -> str:
        return self.server.owner.config.server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.owner.verbose:
            logger.info("%s %s", self.address_string(), format % args)

    def _answer(self, *, send_body: bool) -> None:
        owner = self.server.owner
        owner.record(Hit(self.command, self.path, self.headers.get("User-Agent", "")))
        split = urlsplit(self.path)
        path, query = unquote(split.path) or "/", normalize_query(split.query)
        rule = owner.config.rule_for(path, query)
        if rule.delay:
            self.server.stopping.wait(rule.delay)
        if rule.redirect:
            self._redirect(rule.status or 302, rule.redirect, send_body)
        elif rule.size_bytes is not None:
            self._generated(rule, path, send_body)
        else:
            self._file(rule, path, query, send_body)

    def _file(self, rule: PathRule, path: str, query: str, send_body: bool) -> None:
        owner = self.server.owner
        if owner.is_directory(path) and not path.endswith("/"):
            self._redirect(301, path + "/" + (f"?{query}" if query else ""), send_body)
            return
        found = owner.resolve(path, query)
        if found is None:
            self._error_page(rule.status or 404, send_body, rule)
            return
        body = found.read_bytes()
        if rule.template:
            body = body.replace(BASE_URL_TOKEN, owner.base_url.encode("ascii"))
        if rule.body_prefix:
            body = rule.body_prefix.encode("utf-8") + body
        ctype = rule.content_type or content_type_for(found.name, owner.config.charset)
        self._send(rule.status or 200, ctype, body, send_body, rule.headers)

    def _generated(self, rule: PathRule, path: str, send_body: bool) -> None:
        size = rule.size_bytes or 0
        ctype = rule.content_type or content_type_for(path, self.server.owner.config.charset)
        self._head(rule.status or 200, ctype, size, rule.headers)
        if send_body:
            for chunk in _filler(size):
                self.wfile.write(chunk)

    def _redirect(self, status: int, target: str, send_body: bool) -> None:
        location = self.server.owner.base_url + target if target.startswith("/") else target
        body = f'<html><body>Object moved to <a href="{target}">here</a>.</body></html>'.encode()
        self._send(status, "text/html", body, send_body, {"Location": location})

    def _error_page(self, status: int, send_body: bool, rule: PathRule) -> None:
        reason = self.responses.get(status, ("Error",))[0]
        body = (
            f"<html><head><title>{status} {reason}</title></head><body>"
            f"<h1>{status} {reason}</h1><hr><p>{self.server.owner.config.server}</p>"
            "</body></html>\r\n"
        ).encode("ascii")
        self._send(status, rule.content_type or "text/html", body, send_body, rule.headers)

    def _send(
        self, status: int, ctype: str, body: bytes, send_body: bool, headers: dict[str, str]
    ) -> None:
        self._head(status, ctype, len(body), headers)
        if send_body:
            self.wfile.write(body)

    def _head(self, status: int, ctype: str, length: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()


def _filler(size: int) -> Iterator[bytes]:
    """``size`` bytes of an endless HTML page, in chunks."""
    head = b"<html><head><title>filler</title></head><body>\n"
    line = b"<p>" + "填充内容".encode() * 16 + b"</p>\n"
    block = (line * (_CHUNK // len(line) + 1))[:_CHUNK]
    first = (head + block)[: min(size, _CHUNK)]
    yield first
    remaining = size - len(first)
    while remaining > 0:
        chunk = block[: min(remaining, _CHUNK)]
        yield chunk
        remaining -= len(chunk)


class SiteServer:
    """Serves one site directory on 127.0.0.1 from a background thread."""

    def __init__(
        self, root: Path, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False
    ) -> None:
        self.root = Path(root).resolve()
        self.name = self.root.name
        self.config = load_site_config(self.root)
        self.verbose = verbose
        self._address = (host, port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._hits: list[Hit] = []
        self._hits_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"site server {self.name} is not running")
        return f"http://{self._address[0]}:{self._httpd.server_port}"

    def start(self) -> SiteServer:
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer(self._address, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"site-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- request log -------------------------------------------------------------------------
    def record(self, hit: Hit) -> None:
        with self._hits_lock:
            self._hits.append(hit)

    def hits(self, prefix: str = "") -> list[Hit]:
        """Requests answered so far (targets as sent: path and query), optionally by prefix."""
        with self._hits_lock:
            return [hit for hit in self._hits if hit.target.startswith(prefix)]

    def clear_hits(self) -> None:
        with self._hits_lock:
            self._hits.clear()

    # --- files -------------------------------------------------------------------------------
    def _local(self, path: str) -> Path | None:
        parts = [part for part in path.split("/") if part]
        if any(part.startswith(("_", ".")) or "@" in part for part in parts):
            return None
        local = self.root.joinpath(*parts)
        return local if local.resolve().is_relative_to(self.root) else None

    def is_directory(self, path: str) -> bool:
        local = self._local(path)
        return local is not None and path != "/" and local.is_dir()

    def resolve(self, path: str, query: str) -> Path | None:
        """The file answering ``path?query``, or None."""
        local = self._local(path)
        if local is None:
            return None
        if local.is_dir():
            local = next((local / n for n in INDEX_FILES if (local / n).is_file()), local)
        if query:
            variant = _query_variant(local, query)
            if variant is not None:
                return variant
        return local if local.is_file() else None


def _query_variant(local: Path, query: str) -> Path | None:
    """The ``name@query`` file for a request, ignoring extra parameters as a CMS does."""
    exact = local.with_name(f"{local.name}@{query}")
    if exact.is_file():
        return exact
    wanted = set(parse_qsl(query, keep_blank_values=True))
    best: tuple[int, Path] | None = None
    for candidate in local.parent.glob(f"{glob_escape(local.name)}@*"):
        pairs = set(parse_qsl(candidate.name.split("@", 1)[1], keep_blank_values=True))
        if pairs <= wanted and (best is None or len(pairs) > best[0]):
            best = (len(pairs), candidate)
    return best[1] if best else None


def site_names() -> list[str]:
    """Every fixture site (a directory under tests/sites/ with a ``_site.yaml``)."""
    return sorted(path.parent.name for path in SITES_DIR.glob(f"*/{SITE_FILE}"))


def site_expectations(name: str) -> dict[str, Any]:
    """A site's ``_expected.yaml``: start paths, articles (path, title, published...), non-articles,
    attachments, errors, never_fetch and oversized paths, as written by ``build_sites.py``."""
    path = SITES_DIR / name / EXPECTED_FILE
    if not path.exists():
        raise ValueError(f"unknown site {name!r}; known: {site_names()}")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@contextmanager
def running_sites(names: Iterable[str] | None = None) -> Iterator[dict[str, SiteServer]]:
    """Start the named sites (all by default), each on its own port; yield name -> server."""
    chosen = list(names) if names is not None else site_names()
    unknown = sorted(set(chosen) - set(site_names()))
    if unknown:
        raise ValueError(f"unknown site(s): {', '.join(unknown)}; known: {site_names()}")
    with ExitStack() as stack:
        yield {name: stack.enter_context(SiteServer(SITES_DIR / name)) for name in chosen}


@contextmanager
def serve_sites(names: Iterable[str] | None = None) -> Iterator[dict[str, str]]:
    """Start the named sites (all by default); yield site name -> base URL."""
    with running_sites(names) as servers:
        yield {name: server.base_url for name, server in servers.items()}


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.sites.server [site ...]``: serve sites until Ctrl-C, for browsing."""
    names = (argv if argv is not None else sys.argv[1:]) or None
    with serve_sites(names) as urls:
        for name, url in urls.items():
            print(f"{name:12} {url}/")
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
