"""Two crawl processes writing one database at once, on SQLite and on PostgreSQL.

Both start together on a fresh database (so their schema upgrades race too), crawl different
sources and overlapping ones (one source in both crawls, another listing the same articles as a
third), and are made to store articles at the same time: the site holds each crawl's first
article until the other crawl asks for its own. Bounded by SQLite's 30 s busy timeout with
``BEGIN IMMEDIATE`` write transactions, PostgreSQL's advisory lock around migrations, and
``ON CONFLICT DO NOTHING`` on canonical URLs.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.faults.hostile import Handler, HostileSite, Reply, Request, html, source, write_config
from tests.faults.newsroom import (
    article_links,
    article_page,
    article_path,
    crawl_measured,
    list_page,
    news_routes,
    page,
    query,
    runs,
    stored_urls,
)

PER_SOURCE = 12
RENDEZVOUS_SECONDS = 20


def held_until(mine: threading.Event, other: threading.Event, body: str) -> Handler:
    """An article that, once asked for, waits (bounded) until the other crawl asks for one."""

    def handler(_request: Request) -> Reply:
        mine.set()
        other.wait(RENDEZVOUS_SECONDS)
        return html(body)

    return handler


def test_two_crawls_write_one_database_at_once(db_url: str, tmp_path: Path) -> None:
    """Scenario: crawl 1 (sources a, shared) and crawl 2 (sources b, shared, mirror) start
    together on an empty database; shared lists its own articles and some of a's and b's;
    mirror lists a's articles; every article is its own transaction (FORUMWATCH_STORE_BATCH 1).
    Pass: both exit 0 within 90 s, with no 'database is locked' and no traceback; every article
    is stored exactly once and belongs to a story; the five runs are 'ok' with nothing failed,
    and together count each article as new exactly once."""
    a = range(1, PER_SOURCE + 1)
    b = range(101, 101 + PER_SOURCE)
    shared = range(201, 201 + PER_SOURCE)
    started_a, started_b = threading.Event(), threading.Event()
    routes = {
        **news_routes(a, prefix="/a"),
        **news_routes(b, prefix="/b"),
        **news_routes(shared, prefix="/shared"),
        "/shared/": page(
            list_page(
                [
                    *article_links(shared, "/shared"),
                    *article_links(a[:4], "/a"),
                    *article_links(b[:4], "/b"),
                ]
            )
        ),
        "/mirror/": page(list_page(article_links(a, "/a"))),
    }
    routes[article_path(a[-1], "/a")] = held_until(started_a, started_b, article_page(a[-1]))
    routes[article_path(b[-1], "/b")] = held_until(started_b, started_a, article_page(b[-1]))
    with HostileSite(routes) as site:
        sources = [
            source("a", site.url("/a/")),
            source("b", site.url("/b/")),
            source("shared", site.url("/shared/")),
            source("mirror", site.url("/mirror/")),
        ]
        settings = {"FORUMWATCH_EXTRACT_WORKERS": 0, "FORUMWATCH_STORE_BATCH": 1}
        (tmp_path / "one").mkdir()
        (tmp_path / "two").mkdir()
        first = write_config(tmp_path / "one", sources, db_url=db_url, settings=settings)
        second = write_config(tmp_path / "two", sources, db_url=db_url, settings=settings)
        with ThreadPoolExecutor(2) as pool:
            one = pool.submit(crawl_measured, first, "a", "shared", timeout=150)
            two = pool.submit(crawl_measured, second, "b", "shared", "mirror", timeout=150)
            results = [one.result(), two.result()]
        met = started_a.is_set() and started_b.is_set()
        base = site.base_url

    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.seconds < 90, f"took {result.seconds:.0f} s"
        result.assert_clean()
    assert met, "the two crawls never stored at the same time"
    everything = [
        *(base + article_path(n, "/a") for n in a),
        *(base + article_path(n, "/b") for n in b),
        *(base + article_path(n, "/shared") for n in shared),
    ]
    assert stored_urls(db_url) == dict.fromkeys(everything, 1)
    assert query(db_url, "SELECT count(*) FROM articles WHERE story_id IS NULL") == [(0,)]
    rows = runs(db_url)
    assert sorted(row["source_id"] for row in rows) == ["a", "b", "mirror", "shared", "shared"]
    assert {(row["status"], row["failed"]) for row in rows} == {("ok", 0)}, rows
    assert sum(row["new_articles"] for row in rows) == len(everything)
