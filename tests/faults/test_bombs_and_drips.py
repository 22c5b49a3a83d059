"""Bodies that try to exhaust memory or time: decompression bombs, a 200 MB body, a 1-byte/s drip.

Each runs the real CLI against a hostile site on loopback that also serves good articles, and
checks that the crawl ends in bounded time and memory, that the hostile page is counted as a failure
in its ``crawl_runs`` row (not stored), and that the good articles are stored once each.
Bounded by Scrapy's ``DOWNLOAD_MAXSIZE`` (16 MB in settings.py; applied while decompressing, too)
and ``DOWNLOAD_TIMEOUT`` (the whole download, headers and body, not the gap between bytes).
"""

from __future__ import annotations

import json
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import brotli
from backports import zstd

import settings
from tests.faults.hostile import HostileSite, Reply, Request, chunks, html, source, write_config
from tests.faults.newsroom import (
    article_page,
    article_path,
    crawl_measured,
    news_routes,
    runs,
    stored_urls,
)

MB = 1 << 20
GOOD = range(1, 4)
BOMB_SIZE = 1 << 30  # 1 GB of zeros once decompressed: 64 x DOWNLOAD_MAXSIZE
# A crawl process reading small pages peaks around 150-250 MB here; a bomb or body held whole
# would add at least its own size (1 GB, 200 MB) on top.
MAX_RSS_MB = 400
WORKERS_IN_PROCESS = {"FORUMWATCH_EXTRACT_WORKERS": 0}


def deflate_stream(total: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``total`` zero bytes (built from one repeated fully flushed
    block, so it costs milliseconds), with the CRC-32 and Adler-32 of the data."""
    block = b"\0" * MB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc, adler = 0, 1
    for _ in range(total // MB):
        crc, adler = zlib.crc32(block, crc), zlib.adler32(block, adler)
    return repeated * (total // MB) + compressor.flush(), crc, adler


def bombs(total: int) -> dict[str, bytes]:
    """Content-Encoding -> a body decompressing to ``total`` zero bytes."""
    raw, crc, adler = deflate_stream(total)
    gzip = (
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + raw + struct.pack("<II", crc, total % 2**32)
    )
    deflate = b"\x78\xda" + raw + struct.pack(">I", adler)
    br, zst = brotli.Compressor(quality=1), zstd.ZstdCompressor()
    block = b"\0" * MB
    br_parts = [br.process(block) for _ in range(total // MB)]
    zst_parts = [zst.compress(block) for _ in range(total // MB)]
    return {
        "gzip": gzip,
        "deflate": deflate,
        "br": b"".join([*br_parts, br.finish()]),
        "zstd": b"".join([*zst_parts, zst.flush()]),
    }


def encoded(body: bytes, encoding: str) -> Callable[[Request], Reply]:
    return lambda _request: Reply(body=body, headers={"Content-Encoding": encoding})


def failed_urls(run: dict[str, object]) -> set[str]:
    errors = run["errors"]
    listed = json.loads(errors) if isinstance(errors, str) else errors
    assert isinstance(listed, list)
    return {entry["url"] for entry in listed}


def test_decompression_bombs_are_cut_at_download_maxsize(tmp_path: Path) -> None:
    """Scenario: article links (and another source's list page) answer gzip, deflate, brotli
    and zstd bombs of 1 GB of zeros each (1 MB to 1 KB on the wire), next to good articles.
    Pass: the crawl ends within 60 s and exits 0; its peak memory stays under 400 MB; each bomb
    is a failure of its source's run (the bombed list page fails that source), none is stored;
    the good articles are stored once each."""
    bodies = bombs(BOMB_SIZE)
    hostile = {f"/bomb/{name}.html": encoded(body, name) for name, body in bodies.items()}
    links = [(f"/bomb/{name}.html", f"第九届城市发展论坛{name}分会场隆重开幕") for name in bodies]
    routes = {**news_routes(GOOD, extra_links=links), **hostile}
    routes["/bombed-list/"] = encoded(bodies["gzip"], "gzip")
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path,
            [source("good", site.url("/news/")), source("bombed", site.url("/bombed-list/"))],
            settings=WORKERS_IN_PROCESS,
        )
        result = crawl_measured(config, timeout=120)
        base = site.base_url

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.seconds < 60, f"took {result.seconds:.0f} s"
    assert result.max_rss_mb < MAX_RSS_MB, f"peak {result.max_rss_mb:.0f} MB"
    result.assert_clean()
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    assert stored_urls(db_url) == {base + article_path(n): 1 for n in GOOD}
    [good] = runs(db_url, "good")
    assert (good["status"], good["new_articles"], good["failed"]) == ("partial", 3, len(hostile))
    assert failed_urls(good) == {base + path for path in hostile}
    [bombed] = runs(db_url, "bombed")
    assert (bombed["status"], bombed["list_pages"], bombed["failed"]) == ("failed", 0, 1)
    assert "DOWNLOAD_MAXSIZE" in str(bombed["errors"])


class Sent:
    """Bytes a streaming route has written and how long each answer lasted, per path."""

    def __init__(self) -> None:
        self.bytes: dict[str, int] = {}
        self.durations: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def stream(self, path: str, body: Iterator[bytes]) -> Iterator[bytes]:
        started = time.monotonic()
        try:
            for chunk in body:
                with self._lock:
                    self.bytes[path] = self.bytes.get(path, 0) + len(chunk)
                yield chunk
        finally:  # the client hung up (a failed write ends the generator) or it all went out
            with self._lock:
                self.durations.setdefault(path, []).append(time.monotonic() - started)


def test_a_200_mb_body_is_cut_at_download_maxsize(tmp_path: Path) -> None:
    """Scenario: two article links answer 200 MB of filler, one streamed without a length, one
    declaring its Content-Length, next to good articles.
    Pass: the crawl ends within 60 s, exits 0, peaks under 400 MB; the declared one is refused
    from its headers and the streamed one is abandoned after about DOWNLOAD_MAXSIZE (the server
    wrote under 48 MB of each, never 200 MB); both are failures of the run, neither is stored;
    the good articles are stored once each."""
    total = 200 * MB
    sent = Sent()

    def streamed(request: Request) -> Reply:
        return Reply(body=sent.stream(request.path, chunks(total)))

    def declared(request: Request) -> Reply:
        return Reply(
            body=sent.stream(request.path, chunks(total)), headers={"Content-Length": str(total)}
        )

    hostile = {"/huge/streamed.html": streamed, "/huge/declared.html": declared}
    links = [(path, "第九届城市发展论坛全体会议在荆门召开" + path[-13:]) for path in hostile]
    with HostileSite({**news_routes(GOOD, extra_links=links), **hostile}) as site:
        config = write_config(
            tmp_path, [source("s", site.url("/news/"))], settings=WORKERS_IN_PROCESS
        )
        result = crawl_measured(config, timeout=120)
        base = site.base_url

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.seconds < 60, f"took {result.seconds:.0f} s"
    assert result.max_rss_mb < MAX_RSS_MB, f"peak {result.max_rss_mb:.0f} MB"
    result.assert_clean()
    assert settings.DOWNLOAD_MAXSIZE == 16 * MB
    for path in hostile:
        assert sent.bytes.get(path, 0) < 48 * MB, (path, sent.bytes)
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    assert stored_urls(db_url) == {base + article_path(n): 1 for n in GOOD}
    [run] = runs(db_url, "s")
    assert (run["new_articles"], run["failed"]) == (3, 2)
    assert failed_urls(run) == {base + path for path in hostile}


def test_a_one_byte_per_second_drip_is_cut_at_download_timeout(tmp_path: Path) -> None:
    """Scenario: an article link answers its headers at once, then one byte a second for 1,000
    seconds; another answers nothing at all for 60 s (a tarpit); DOWNLOAD_TIMEOUT is 3 s with
    RETRY_TIMES 1.
    Pass: every attempt at the drip is abandoned within DOWNLOAD_TIMEOUT + 3.5 s (Scrapy's
    timeout covers the whole download, not the gap between bytes), each is tried at most twice,
    the crawl ends within 45 s, exits 0, and counts each as one DownloadTimeoutError failure;
    neither is stored, the good articles are."""
    timeout, retries = 3, 1
    sent = Sent()
    release = threading.Event()

    def drip(request: Request) -> Reply:
        body = iter([b"<html><body><p>", *([b"x"] * 1000)])
        return Reply(body=sent.stream(request.path, body), pause=1.0)

    def tarpit(request: Request) -> Reply:
        release.wait(60)
        return html(article_page(99))

    hostile = {"/drip/1.html": drip, "/tarpit/1.html": tarpit}
    links = [(path, "第九届城市发展论坛闭幕式在荆门举行" + path[1:4]) for path in hostile]
    with HostileSite({**news_routes(GOOD, extra_links=links), **hostile}) as site:
        config = write_config(
            tmp_path,
            [source("s", site.url("/news/"))],
            settings={**WORKERS_IN_PROCESS, "DOWNLOAD_TIMEOUT": timeout, "RETRY_TIMES": retries},
        )
        try:
            result = crawl_measured(config, timeout=120)
        finally:
            release.set()
        requested = Counter(site.paths())
        base = site.base_url
        durations = list(sent.durations.get("/drip/1.html", []))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.seconds < 45, f"took {result.seconds:.0f} s"
    result.assert_clean()
    for path in hostile:
        assert 1 <= requested[path] <= retries + 1, requested
    assert len(durations) == requested["/drip/1.html"], durations
    assert max(durations) < timeout + 3.5, durations
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    assert stored_urls(db_url) == {base + article_path(n): 1 for n in GOOD}
    [run] = runs(db_url, "s")
    assert (run["new_articles"], run["failed"]) == (3, 2)
    errors = json.loads(run["errors"])
    assert {entry["url"]: entry["error"].split(":")[0] for entry in errors} == {
        base + path: "DownloadTimeoutError" for path in hostile
    }
