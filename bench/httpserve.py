"""A small, fast HTTP/1.1 server for the benchmarks' generated sites, run in its own process.

Serves the ``manifest.json`` written by ``bench/sitegen.py`` (path -> content type and file,
per listening address or ``"*"`` for all) with keep-alive and Content-Length; anything else is a
404. It listens on loopback only (127.0.0.0/8), on as many addresses as asked, all on one port;
every request is counted by kind (robots, list, article, other) and status, and
``GET /__stats__`` returns the counts as JSON (that request is not counted). Every file is
served with a strong ETag (a hash of its bytes) and a Last-Modified (the server's start), and a
request carrying ``If-None-Match`` (compared weakly, ``*`` included) or, without it,
``If-Modified-Since`` (not before that time) is answered 304 with no body, as a real server does.

``ServerProcess`` starts it from a benchmark and always stops it (context manager). The server
also exits on its own when its parent dies. ``python bench/httpserve.py --self-test`` measures
its request rate against a small generated site.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import hashlib
import ipaddress
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

STATS_PATH = "/__stats__"
MAX_HEADER_BYTES = 64 * 1024
PRELOAD_LIMIT = 256 * 1024 * 1024
READY_TIMEOUT = 120.0
MAX_LIFETIME = 4 * 3600.0  # a safety net: no benchmark server outlives this
PORT_ATTEMPTS = 20

Entry = tuple[bytes, bytes | Path, str]


class Site:
    """The manifest, looked up by listening address and path."""

    def __init__(self, manifest: Path, preload_limit: int = PRELOAD_LIMIT) -> None:
        data = json.loads(manifest.read_text())
        root = manifest.parent
        self.classify = [(kind, re.compile(pattern)) for kind, pattern in data["classify"]]
        sizes = sum(
            (root / entry[1]).stat().st_size
            for routes in data["hosts"].values()
            for entry in routes.values()
        )
        preload = sizes <= preload_limit
        self.hosts: dict[str, dict[str, Entry]] = {}
        for host, routes in data["hosts"].items():
            table: dict[str, Entry] = {}
            for path, (content_type, relative, kind) in routes.items():
                file = root / relative
                table[path] = (
                    content_type.encode("latin-1"),
                    file.read_bytes() if preload else file,
                    kind,
                )
            self.hosts[host] = table
        self.any = self.hosts.get("*", {})
        self.started = time.time()
        self.last_modified = email.utils.formatdate(self.started, usegmt=True).encode()
        self._etags: dict[int, bytes] = {}

    def etag(self, body: bytes) -> bytes:
        """A strong ETag for ``body`` (kept per body object: contents never change)."""
        tag = self._etags.get(id(body))
        if tag is None:
            tag = b'"%s"' % hashlib.blake2b(body, digest_size=8).hexdigest().encode()
            self._etags[id(body)] = tag
        return tag

    def not_modified(self, headers: dict[str, str], etag: bytes) -> bool:
        """Whether a conditional request's validators still match (RFC 9110 section 13.1)."""
        if "if-none-match" in headers:
            wanted = headers["if-none-match"].strip()
            if wanted == "*":
                return True
            opaque = etag.decode().removeprefix("W/")
            return any(
                tag.strip().removeprefix("W/") == opaque for tag in wanted.split(",") if tag.strip()
            )
        if "if-modified-since" in headers:
            try:
                since = email.utils.parsedate_to_datetime(headers["if-modified-since"])
            except (TypeError, ValueError, IndexError):
                return False
            return since.timestamp() >= int(self.started)
        return False

    def lookup(self, address: str, path: str) -> Entry | None:
        routes = self.hosts.get(address)
        for candidate in (path, path + "index.html" if path.endswith("/") else None):
            if candidate is None:
                continue
            if routes is not None and candidate in routes:
                return routes[candidate]
            if candidate in self.any:
                return self.any[candidate]
        return None

    def kind_of(self, path: str) -> str:
        for kind, pattern in self.classify:
            if pattern.search(path):
                return kind
        return "other"


class Stats:
    """Request counts by kind and status, and bytes sent."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.bytes_sent = 0
        self.connections = 0
        self.close_requested = 0
        self.started = time.monotonic()

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": sum(self.statuses.values()),
            "kinds": dict(self.kinds),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "bytes_sent": self.bytes_sent,
            "connections": self.connections,
            "close_requested": self.close_requested,
            "uptime": time.monotonic() - self.started,
        }


class HttpProtocol(asyncio.Protocol):
    """One client connection: parses requests as they come and answers them in order."""

    def __init__(self, site: Site, stats: Stats) -> None:
        self.site = site
        self.stats = stats
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.address = transport.get_extra_info("sockname")[0]
        self.stats.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > 4 * MAX_HEADER_BYTES:
            self._close()
            return
        self._serve_buffered()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._serve_buffered()

    def _serve_buffered(self) -> None:
        while not self.paused and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    self._respond(431, b"text/plain", b"headers too large", False, False)
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if not self._handle(head):
                return

    def _handle(self, head: bytes) -> bool:
        """Answer one request; False when the connection is closed afterwards."""
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split()
        if len(parts) != 3:
            self._respond(400, b"text/plain", b"bad request", False, False)
            return False
        method, target, version = parts
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        length = headers.get("content-length", "0")
        self.buffer = self.buffer[int(length) if length.isdigit() else 0 :]  # bodies are ignored
        connection = headers.get("connection", "").lower()
        keep = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        path = target.split("?", 1)[0].split("#", 1)[0]
        if path.startswith("http://"):
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        if path == STATS_PATH:
            body = json.dumps(self.stats.as_dict()).encode()
            self._respond(200, b"application/json", body, keep, method == "HEAD", count=False)
            return keep
        self.stats.kinds[self.site.kind_of(path)] += 1
        self.stats.close_requested += not keep
        if method not in ("GET", "HEAD"):
            self._respond(405, b"text/plain", b"method not allowed", keep, False)
            return keep
        entry = self.site.lookup(self.address, path)
        if entry is None:
            self._respond(
                404, b"text/html", b"<html><body>404 Not Found</body></html>", keep, False
            )
            return keep
        content_type, content, _ = entry
        body = content if isinstance(content, bytes) else content.read_bytes()
        validators = b"ETag: %s\r\nLast-Modified: %s\r\n" % (
            self.site.etag(body),
            self.site.last_modified,
        )
        if self.site.not_modified(headers, self.site.etag(body)):
            self._respond(304, content_type, b"", keep, True, extra=validators)
            return keep
        self._respond(200, content_type, body, keep, method == "HEAD", extra=validators)
        return keep

    def _respond(
        self,
        status: int,
        content_type: bytes,
        body: bytes,
        keep: bool,
        head_only: bool,
        *,
        count: bool = True,
        extra: bytes = b"",
    ) -> None:
        if self.transport is None:
            return
        reason = {
            200: b"OK",
            304: b"Not Modified",
            400: b"Bad Request",
            404: b"Not Found",
            405: b"Method Not Allowed",
            431: b"Request Header Fields Too Large",
        }.get(status, b"Error")
        header = b"".join(
            (
                b"HTTP/1.1 %d %s\r\nServer: fw-bench\r\nContent-Type: %s\r\n%s"
                % (status, reason, content_type, extra),
                b"Content-Length: %d\r\nConnection: %s\r\n\r\n"
                % (len(body), b"keep-alive" if keep else b"close"),
            )
        )
        self.transport.write(header if head_only else header + body)
        if count:
            self.stats.statuses[status] += 1
            self.stats.bytes_sent += len(header) + (0 if head_only else len(body))
        if not keep:
            self._close()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


# -- the server process ----------------------------------------------------------------------


def check_loopback(address: str) -> None:
    if not ipaddress.ip_address(address).is_loopback or ":" in address:
        raise SystemExit(f"refusing to listen on {address}: only 127.0.0.0/8 is allowed")


async def _listen_all(
    loop: asyncio.AbstractEventLoop, site: Site, stats: Stats, addresses: list[str], port: int
) -> tuple[list[asyncio.Server], int]:
    """Listen on every address with one port (port 0: the first free one they all share)."""
    for _ in range(PORT_ATTEMPTS):
        servers: list[asyncio.Server] = []
        chosen = port
        try:
            for address in addresses:
                server = await loop.create_server(
                    lambda: HttpProtocol(site, stats), address, chosen, backlog=2048
                )
                servers.append(server)
                if chosen == 0:
                    chosen = server.sockets[0].getsockname()[1]
            return servers, chosen
        except OSError:
            for server in servers:
                server.close()
            if port != 0:
                raise
    raise SystemExit(f"no port free on all {len(addresses)} addresses after {PORT_ATTEMPTS} tries")


async def serve(
    manifest: Path, addresses: list[str], port: int, preload_limit: int, lifetime: float
) -> None:
    for address in addresses:
        check_loopback(address)
    site = Site(manifest, preload_limit)
    stats = Stats()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    servers, chosen = await _listen_all(loop, site, stats, addresses, port)
    print("READY " + json.dumps({"port": chosen, "addresses": len(addresses)}), flush=True)
    parent = os.getppid()
    deadline = time.monotonic() + lifetime
    while not stop.is_set() and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        if os.getppid() != parent:  # the benchmark died without stopping us
            break
    for server in servers:
        server.close()
    print(json.dumps(stats.as_dict()), file=sys.stderr, flush=True)


def _raise_fd_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- starting and stopping it from a benchmark -----------------------------------------------


class ServerProcess:
    """``with ServerProcess(manifest, addresses) as server:`` ... ``server.port``, ``stats()``."""

    def __init__(
        self,
        manifest: Path,
        addresses: list[str],
        *,
        port: int = 0,
        log: Path | None = None,
        preload_limit: int = PRELOAD_LIMIT,
    ) -> None:
        for address in addresses:
            check_loopback(address)
        self.preload_limit = preload_limit
        self.manifest = manifest
        self.addresses = addresses
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.pid = 0

    def __enter__(self) -> ServerProcess:
        folder = self.manifest.parent
        address_file = folder / "listen-addresses.txt"
        address_file.write_text("\n".join(self.addresses))
        stderr = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--manifest",
                str(self.manifest),
                "--addresses-file",
                str(address_file),
                "--port",
                str(self.port),
                "--preload-limit",
                str(self.preload_limit),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,  # Ctrl-C goes to the benchmark, which stops us in order
        )
        self.pid = self.process.pid
        try:
            self.port = self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> int:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline().decode()
                if line.startswith("READY "):
                    return int(json.loads(line[6:])["port"])
                if not line:
                    break
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"the HTTP server did not start (see {self.log or 'its stderr'})")

    def url(self, path: str, address: str | None = None) -> str:
        return f"http://{address or self.addresses[0]}:{self.port}{path}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url(STATS_PATH), timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# -- self-test: how many requests a second it answers ----------------------------------------


async def _client(
    host: str, port: int, paths: list[str], deadline: float, start: int
) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    done = received = 0
    index = start
    try:
        while time.monotonic() < deadline and done < 1_000_000:
            path = paths[index % len(paths)]
            index += 1
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            done += 1
            received += length
    finally:
        writer.close()
    return done, received


async def _load(
    host: str, port: int, paths: list[str], seconds: float, connections: int
) -> tuple[int, int, float]:
    started = time.monotonic()
    deadline = started + seconds
    results = await asyncio.gather(
        *(_client(host, port, paths, deadline, i * 97) for i in range(connections))
    )
    elapsed = time.monotonic() - started
    return sum(r[0] for r in results), sum(r[1] for r in results), elapsed


def self_test(seconds: float, connections: int, pages: int) -> None:
    import random
    import tempfile
    from datetime import datetime

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import sitegen

    with tempfile.TemporaryDirectory(prefix="fw-serve-") as tmp:
        rng = random.Random(7)
        style = sitegen.make_style(rng)
        specs = sitegen.plan_articles(
            rng, pages, city=style.city, newest=datetime(2024, 12, 1, 9, 0)
        )
        writer = sitegen.SiteWriter(Path(tmp))
        sitegen.write_news_site(writer, style, specs, rng=rng)
        manifest = writer.save()
        paths = [spec.path for spec in specs]
        for preload, label in ((PRELOAD_LIMIT, "in memory"), (0, "from disk")):
            with ServerProcess(manifest, ["127.0.0.1"], preload_limit=preload) as server:
                done, received, elapsed = asyncio.run(
                    _load("127.0.0.1", server.port, paths, seconds, connections)
                )
                seen = server.stats()["requests"]
            print(
                f"{label}: {done / elapsed:,.0f} req/s, {received / elapsed / 1e6:,.0f} MB/s "
                f"({done} requests of ~{received // max(done, 1) // 1000} KB over {connections} "
                f"keep-alive connections, server counted {seen})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path)
    parser.add_argument("--addresses-file", type=Path)
    parser.add_argument("--listen", action="append", default=[], help="an address (127.x.y.z)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--preload-limit", type=int, default=PRELOAD_LIMIT, help="bytes")
    parser.add_argument("--max-seconds", type=float, default=MAX_LIFETIME, help="then exit")
    parser.add_argument("--self-test", action="store_true", help="measure the request rate")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if args.self_test:
        self_test(min(args.seconds, 60.0), max(1, min(args.connections, 256)), 300)
        return
    if args.manifest is None:
        parser.error("--manifest is required")
    addresses = list(args.listen)
    if args.addresses_file:
        addresses += [
            line.strip() for line in args.addresses_file.read_text().split() if line.strip()
        ]
    if not addresses:
        addresses = ["127.0.0.1"]
    _raise_fd_limit()
    asyncio.run(serve(args.manifest, addresses, args.port, args.preload_limit, args.max_seconds))


if __name__ == "__main__":
    main()
