"""Cheap routine polls, end to end through the real CLI against sites on loopback that count
every request: robots.txt kept across crawls (RFC 9309 section 2.4) and list pages asked for
conditionally (ETag / Last-Modified; a 304 costs nothing).

* Five crawls of three sources: the second asks for no robots.txt (even one now answering 503)
  and gets a 304 for the walked list page: no article requested, run ok, ``not_modified``
  counted; a changed list page (a 200 despite the validators) is read and its new article
  stored; an expired copy is fetched again (a 404 renews it; a 503 leaves the expired rules in
  force for that crawl); with no copy at all a 503 disallows the host and nothing is cached. A
  server answering 304 to a request that asked nothing is a failure of its source, not "not
  modified".
* ``FORUMWATCH_ROBOTS_CACHE_HOURS: 0``: every crawl fetches robots.txt, and nothing is stored.
* A crawl SIGKILLed after reading a changed list page, before its new article is stored, leaves
  the earlier validators: the next crawl reads the list in full and stores the article.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storage import http_cache
from storage.db import get_engine, reset_engines, session_scope
from tests.faults.hostile import HostileSite, Reply, Request, source, write_config
from tests.faults.newsroom import (
    article_links,
    article_page,
    article_path,
    crawl_measured,
    list_page,
    page,
    query,
    runs,
    stored_urls,
)
from tests.fixtures_sites import start_cli

ROBOTS = "User-agent: *\nDisallow: /private/\n"
LAST_MODIFIED = "Wed, 20 Nov 2024 08:00:00 GMT"


class Column:
    """A news column that honours If-None-Match (weak comparison) and If-Modified-Since, with
    ETag ``W/"v<version>"`` (or a strong one), and its articles."""

    def __init__(self, numbers: list[int], *, weak: bool = True) -> None:
        self.numbers = numbers
        self.version = 1
        self.weak = weak
        self.stall: set[int] = set()
        """Articles served as a slow drip (a crawl stuck fetching them)."""
        self.lock = threading.Lock()

    @property
    def etag(self) -> str:
        return f'W/"v{self.version}"' if self.weak else f'"v{self.version}"'

    def publish(self, n: int) -> None:
        with self.lock:
            self.numbers.insert(0, n)
            self.version += 1

    def list(self, request: Request) -> Reply:
        with self.lock:
            etag, numbers = self.etag, list(self.numbers)
        validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        asked = request.headers.get("If-None-Match")
        if asked is not None:
            matches = asked.removeprefix("W/") == etag.removeprefix("W/")
        else:
            matches = (
                request.headers.get("If-Modified-Since") == LAST_MODIFIED and self.version == 1
            )
        if matches:
            return Reply(status=304, headers=validators, content_type=None)
        return Reply(body=list_page(article_links(numbers)).encode(), headers=validators)

    def article(self, request: Request) -> Reply:
        n = int(request.path.rsplit("_", 1)[1].split(".")[0]) - 1000
        if n in self.stall:
            return Reply(body=iter([b" "] * 600), pause=0.2)
        return Reply(body=article_page(n).encode())


def robots_reply(state: dict[str, int]) -> Any:
    def handler(_request: Request) -> Reply:
        status = state["status"]
        body = ROBOTS if status == 200 else "unavailable"
        return Reply(status=status, body=body.encode(), content_type="text/plain")

    return handler


def counts(db_url: str, source_id: str) -> tuple[str, dict[str, int], list[Any]]:
    run = runs(db_url, source_id)[-1]
    raw, errors = run["counts"], run["errors"]
    raw = json.loads(raw) if isinstance(raw, str) else raw
    errors = json.loads(errors) if isinstance(errors, str) else errors
    return run["status"], dict(raw or {}), list(errors or [])


def requests_to(site: HostileSite, since: int, path: str) -> list[Request]:
    return [r for r in site.requests[since:] if r.path == path]


def robots_rows(db_url: str) -> dict[str, tuple[int, str]]:
    rows = query(db_url, "SELECT origin, status, fetched_at FROM robots_cache")
    return {origin: (status, str(fetched)) for origin, status, fetched in rows}


def age_robots(db_url: str, origins: list[str], days: float) -> None:
    """Make these origins' robots.txt copies ``days`` old and expired, through the storage API."""
    when = datetime.now(UTC) - timedelta(days=days)
    engine = get_engine(db_url)
    try:
        with session_scope(engine, write=True) as session:
            copies = http_cache.cached_robots(session=session, origins=origins)
            http_cache.save_robots(
                session=session,
                entries=[
                    dataclasses.replace(copy, fetched_at=when, expires_at=when)
                    for copy in copies.values()
                ],
            )
    finally:
        reset_engines()


def forget_robots(db_url: str, origin: str) -> None:
    engine = get_engine(db_url)
    try:
        with session_scope(engine, write=True) as session:
            http_cache.forget_robots(session=session, origins=[origin])
    finally:
        reset_engines()


def test_routine_polls_cache_robots_and_ask_conditionally(tmp_path: Path) -> None:
    alpha = Column([2, 1])
    robots_a = {"status": 200}
    routes_a: dict[str, Any] = {
        "/robots.txt": robots_reply(robots_a),
        "/news/": alpha.list,
        "/news/*": alpha.article,
        "/always304/": lambda _r: Reply(status=304, content_type=None),
    }
    routes_b: dict[str, Any] = {
        "/robots.txt": lambda _r: Reply(status=404, body=b"no robots here"),
        "/news/": page(list_page(article_links([5]))),
        article_path(5): page(article_page(5)),
    }
    with HostileSite(routes_a) as site_a, HostileSite(routes_b, host="127.0.0.2") as site_b:
        config = write_config(
            tmp_path,
            [
                source("alpha", site_a.url("/news/")),
                source("beta", site_b.url("/news/")),
                source("bogus", site_a.url("/always304/")),
            ],
        )
        db = f"sqlite:///{tmp_path / 'fw.db'}"
        origin_a, origin_b = site_a.base_url, site_b.base_url

        # 1: everything fetched; robots.txt kept (a 200 and a 404), the column's validators too
        first = crawl_measured(config)
        assert first.returncode == 0, first.stdout + first.stderr
        assert len(requests_to(site_a, 0, "/robots.txt")) == 1
        assert len(requests_to(site_b, 0, "/robots.txt")) == 1
        assert stored_urls(db).keys() == {
            site_a.url(article_path(1)),
            site_a.url(article_path(2)),
            site_b.url(article_path(5)),
        }
        assert {o: s for o, (s, _) in robots_rows(db).items()} == {origin_a: 200, origin_b: 404}
        assert query(db, "SELECT canonical_url, etag, last_modified FROM http_validators") == [
            (site_a.url("/news/"), 'W/"v1"', LAST_MODIFIED)
        ]
        status, alpha_counts, _ = counts(db, "alpha")
        assert status == "ok" and alpha_counts["list_links"] == 2
        status, _, errors = counts(db, "bogus")  # a 304 nobody asked for is no "not modified"
        assert status == "failed" and "304" in errors[0]["error"], errors

        # 2: within the day: no robots.txt asked (though it now fails), the column answers 304
        robots_a["status"] = 503
        seen_a, seen_b = len(site_a.requests), len(site_b.requests)
        second = crawl_measured(config)
        assert second.returncode == 0, second.stdout + second.stderr
        assert not requests_to(site_a, seen_a, "/robots.txt")
        assert not requests_to(site_b, seen_b, "/robots.txt")
        (listing,) = requests_to(site_a, seen_a, "/news/")
        assert listing.headers.get("If-None-Match") == 'W/"v1"'
        assert listing.headers.get("If-Modified-Since") == LAST_MODIFIED
        assert sorted(r.path for r in site_a.requests[seen_a:]) == ["/always304/", "/news/"]
        status, alpha_counts, _ = counts(db, "alpha")
        assert status == "ok"
        assert alpha_counts["list_pages"] == 1 and alpha_counts["not_modified"] == 1
        assert not alpha_counts.get("list_links") and not alpha_counts.get("failed")
        status, beta_counts, _ = counts(db, "beta")  # no validators: read in full, nothing new
        assert status == "ok" and beta_counts["known_articles"] == 1
        assert "not_modified" not in beta_counts

        # 3: the column changed: a 200 despite the validators, its new article stored
        alpha.publish(3)
        seen_a = len(site_a.requests)
        third = crawl_measured(config)
        assert third.returncode == 0, third.stdout + third.stderr
        assert site_a.url(article_path(3)) in stored_urls(db)
        assert [r.path for r in site_a.requests[seen_a:]].count(article_path(3)) == 1
        assert not requests_to(site_a, seen_a, article_path(1))
        status, alpha_counts, _ = counts(db, "alpha")
        assert status == "ok" and alpha_counts["new_articles"] == 1
        assert "not_modified" not in alpha_counts
        assert query(db, "SELECT etag FROM http_validators") == [('W/"v2"',)]

        # 4: both copies expired: the 404 is fetched and renewed; the 503 leaves the expired
        # rules in force for this crawl (RFC 9309 2.4), the copy not renewed
        age_robots(db, [origin_a, origin_b], days=2)
        before = robots_rows(db)
        seen_a, seen_b = len(site_a.requests), len(site_b.requests)
        fourth = crawl_measured(config)
        assert fourth.returncode == 0, fourth.stdout + fourth.stderr
        assert requests_to(site_a, seen_a, "/robots.txt")
        assert len(requests_to(site_b, seen_b, "/robots.txt")) == 1
        after = robots_rows(db)
        assert after[origin_a] == before[origin_a]
        assert after[origin_b][0] == 404 and after[origin_b][1] != before[origin_b][1]
        assert requests_to(site_a, seen_a, "/news/")
        status, alpha_counts, _ = counts(db, "alpha")
        assert status == "ok" and alpha_counts["not_modified"] == 1

        # 5: no copy and a 503: the host is disallowed for the crawl, and that is not cached
        forget_robots(db, origin_a)
        seen_a = len(site_a.requests)
        fifth = crawl_measured(config)
        assert fifth.returncode == 0, fifth.stdout + fifth.stderr
        assert requests_to(site_a, seen_a, "/robots.txt")
        assert not requests_to(site_a, seen_a, "/news/")
        status, _, errors = counts(db, "alpha")
        assert status == "failed" and "robots.txt unavailable" in errors[0]["error"]
        assert origin_a not in robots_rows(db)


def test_a_killed_crawl_leaves_no_validator_hiding_its_articles(tmp_path: Path) -> None:
    column = Column([1], weak=False)
    routes: dict[str, Any] = {
        "/robots.txt": lambda _r: Reply(body=ROBOTS.encode(), content_type="text/plain"),
        "/news/": column.list,
        "/news/*": column.article,
    }
    with HostileSite(routes) as site:
        config = write_config(tmp_path, [source("alpha", site.url("/news/"))])
        db = f"sqlite:///{tmp_path / 'fw.db'}"
        first = crawl_measured(config)
        assert first.returncode == 0, first.stdout + first.stderr
        assert query(db, "SELECT etag FROM http_validators") == [('"v1"',)]

        # a new article, whose page hangs: the crawl is killed while fetching it
        column.publish(2)
        column.stall.add(2)
        seen = len(site.requests)
        process = start_cli(config, "crawl", log=tmp_path / "killed.log")
        try:
            deadline = time.monotonic() + 60
            while not requests_to(site, seen, article_path(2)):
                assert process.poll() is None, (tmp_path / "killed.log").read_text()
                assert time.monotonic() < deadline, "the article was never requested"
                time.sleep(0.05)
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        (listing,) = requests_to(site, seen, "/news/")
        assert listing.headers.get("If-None-Match") == '"v1"'  # the list was read: a 200, v2
        assert site.url(article_path(2)) not in stored_urls(db)
        assert query(db, "SELECT etag FROM http_validators") == [('"v1"',)]

        # the next crawl asks with v1, gets the list in full and stores the article
        column.stall.clear()
        seen = len(site.requests)
        third = crawl_measured(config)
        assert third.returncode == 0, third.stdout + third.stderr
        (listing,) = requests_to(site, seen, "/news/")
        assert listing.headers.get("If-None-Match") == '"v1"'
        assert site.url(article_path(2)) in stored_urls(db)
        assert query(db, "SELECT etag FROM http_validators") == [('"v2"',)]


def test_robots_cache_off(tmp_path: Path) -> None:
    column = Column([1])
    routes: dict[str, Any] = {
        "/robots.txt": lambda _r: Reply(body=ROBOTS.encode(), content_type="text/plain"),
        "/news/": column.list,
        "/news/*": column.article,
    }
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path,
            [source("alpha", site.url("/news/"))],
            settings={"FORUMWATCH_ROBOTS_CACHE_HOURS": 0, "FORUMWATCH_CONDITIONAL_REQUESTS": False},
        )
        db = f"sqlite:///{tmp_path / 'fw.db'}"
        for _ in range(2):
            result = crawl_measured(config)
            assert result.returncode == 0, result.stdout + result.stderr
        assert len(requests_to(site, 0, "/robots.txt")) == 2
        assert robots_rows(db) == {}
        listings = requests_to(site, 0, "/news/")
        assert len(listings) == 2 and "If-None-Match" not in listings[1].headers
        assert counts(db, "alpha")[1]["known_articles"] == 1
