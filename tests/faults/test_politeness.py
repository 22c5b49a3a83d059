"""Politeness against hostile or failing sites (issue 7, items 3, 4 and 9), through the real CLI.

* Item 9: the per-site cap (``CONCURRENT_REQUESTS_PER_DOMAIN`` / ``_PER_IP``) holds with
  ``DOWNLOAD_DELAY: 0``, with AutoThrottle on or off, and for several sources on one host.
* Item 4: robots.txt as RFC 9309 reads it: 5xx, a reset connection or a timeout disallow the host
  for the crawl (only robots.txt is requested, the run says why); 404 allows; redirects are followed.
* Item 3: sitemap indexes are followed to a bounded depth and count, a long sitemap yields a
  bounded number of article requests per crawl, and what was cut is counted.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.faults.hostile import (
    HostileSite,
    Reply,
    Request,
    crawl,
    html,
    redirect,
    source,
    write_config,
)

ARTICLES = 100
LINKS = r"re:/a/\d+\.html$"
QUICK = {"FORUMWATCH_EXTRACT_WORKERS": 0, "RETRY_TIMES": 2}


def _article(request: Request) -> Reply:
    time.sleep(0.05)  # slow enough that requests overlap when the cap is not kept
    return html(
        f"<html><head><title>文章 {request.path}</title></head><body><article>"
        f"<h1>城市发展论坛 {request.path}</h1><p>{'论坛在本市举行，专家讨论城市更新。' * 20}</p>"
        "</article></body></html>"
    )


def _list_page(first: int, count: int) -> Any:
    links = "".join(
        f'<li><a href="/a/{i}.html">第{i}篇文章标题</a></li>' for i in range(first, first + count)
    )
    return lambda request: html(f"<html><body><ul>{links}</ul></body></html>")


def _articles_site(lists: int = 1) -> HostileSite:
    per_list = ARTICLES // lists
    routes: dict[str, Any] = {"/a/*": _article}
    for n in range(lists):
        routes[f"/list-{n}.html"] = _list_page(n * per_list, per_list)
    return HostileSite(routes)


def _article_paths(site: HostileSite) -> list[str]:
    return [path for path in site.paths() if path.startswith("/a/")]


@pytest.mark.parametrize(
    "settings",
    [
        {"CONCURRENT_REQUESTS_PER_DOMAIN": 2},
        {"CONCURRENT_REQUESTS_PER_DOMAIN": 4},
        {
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            "CONCURRENT_REQUESTS_PER_IP": 3,
            # Scrapy 2.19's default queue refuses PER_IP (deprecated): the crawl would not start
            "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
        },
        {
            "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
            "AUTOTHROTTLE_ENABLED": True,
            "AUTOTHROTTLE_START_DELAY": 0,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": 8,
        },
        {"CONCURRENT_REQUESTS_PER_DOMAIN": 2, "DOWNLOADER": "scrapy.core.downloader.Downloader"},
    ],
    ids=["per-domain-2", "per-domain-4", "per-ip-3", "autothrottle", "scrapy-downloader-asked"],
)
def test_per_site_cap_holds_without_delay(tmp_path: Path, settings: dict[str, Any]) -> None:
    """Item 9: 100 articles that each take 0.05 s, ``DOWNLOAD_DELAY: 0``. Pass: the site never
    has more requests in flight than the cap (per domain, or per IP when set), even with
    AutoThrottle on or Scrapy's own downloader named in the config, and every article is fetched."""
    cap = settings.get("CONCURRENT_REQUESTS_PER_IP") or settings["CONCURRENT_REQUESTS_PER_DOMAIN"]
    with _articles_site() as site:
        config = write_config(
            tmp_path,
            [source("s", site.url("/list-0.html"), article_links=LINKS)],
            settings={**QUICK, "DOWNLOAD_DELAY": 0, **settings},
        )
        result = crawl(config, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        assert len(set(_article_paths(site))) == ARTICLES
        assert 1 <= site.max_in_flight <= cap, site.max_in_flight


def test_per_site_cap_is_shared_by_sources_on_one_host(tmp_path: Path) -> None:
    """Item 9: four sources on one host (one slot per host name), cap 2, no delay. Pass: at most
    2 requests in flight at that host in all, and every article is fetched."""
    with _articles_site(lists=4) as site:
        sources = [
            source(f"s{n}", site.url(f"/list-{n}.html"), article_links=LINKS) for n in range(4)
        ]
        config = write_config(
            tmp_path,
            sources,
            settings={**QUICK, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 2},
        )
        result = crawl(config, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        assert len(set(_article_paths(site))) == ARTICLES
        assert site.max_in_flight <= 2, site.max_in_flight


# -- robots.txt (item 4) ----------------------------------------------------------------------


def _reset(request: Request) -> Reply:
    raise ConnectionResetError("robots.txt: connection reset")


def _stall(request: Request) -> Reply:
    return Reply(body=iter([b"User-agent: *\n"]), pause=10, content_type="text/plain")


ROBOTS_FAILURES = {
    "503": (lambda request: html("busy", status=503), "HTTP 503"),
    "500-after-redirect": (
        lambda request: (
            redirect("/moved/robots.txt")
            if request.path == "/robots.txt"
            else html("oops", status=500)
        ),
        "HTTP 500",
    ),
    "reset": (_reset, "robots.txt unavailable ("),
    "timeout": (_stall, "robots.txt unavailable ("),
}


@pytest.mark.parametrize("case", list(ROBOTS_FAILURES))
def test_unreachable_robots_txt_disallows_the_host(tmp_path: Path, case: str) -> None:
    """Item 4: robots.txt answers 5xx (also at the end of a redirect), resets the connection or
    never finishes. Pass: nothing but robots.txt is requested from the host, at most once plus
    retries for two sources on that host; the run lists the refusal with its reason; no crash."""
    handler, reason = ROBOTS_FAILURES[case]
    routes: dict[str, Any] = {"/robots.txt": handler, "/moved/robots.txt": handler}
    routes.update({"/list.html": _list_page(0, 5), "/a/*": _article})
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path,
            [source("s", site.url("/list.html")), source("t", site.url("/list.html?t"))],
            settings={**QUICK, "DOWNLOAD_TIMEOUT": 1},
        )
        result = crawl(config, timeout=60)
        assert "Traceback" not in result.stdout
        paths = site.paths()
        assert set(paths) <= {"/robots.txt", "/moved/robots.txt"}, paths
        assert 1 <= paths.count("/robots.txt") <= 1 + QUICK["RETRY_TIMES"], paths
        assert "robots.txt unavailable" in result.stdout and reason in result.stdout
        assert re.search(r"note s: 1 refused: robots.txt unavailable", result.stdout)
        assert re.search(r"note t: 1 refused: robots.txt unavailable", result.stdout)


@pytest.mark.parametrize("status", [404, 410, 401, 403])
def test_missing_robots_txt_allows_the_crawl(tmp_path: Path, status: int) -> None:
    """Item 4: robots.txt answers 4xx ("unavailable": RFC 9309 allows everything), even with a
    body that reads like rules. Pass: the list page and its articles are fetched."""
    routes: dict[str, Any] = {
        "/robots.txt": lambda request: Reply(status, b"User-agent: *\nDisallow: /\n"),
        "/list.html": _list_page(0, 5),
        "/a/*": _article,
    }
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path, [source("s", site.url("/list.html"), article_links=LINKS)], settings=QUICK
        )
        result = crawl(config, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "/list.html" in site.paths()
        assert len(set(_article_paths(site))) == 5
        assert "robots.txt unavailable" not in result.stdout


def test_redirected_robots_txt_is_obeyed(tmp_path: Path) -> None:
    """Item 4: robots.txt redirects (twice) to rules that disallow ``/a/3.html``. Pass: the
    rules are read and obeyed: the other articles are fetched, that one is not."""
    routes: dict[str, Any] = {
        "/robots.txt": lambda request: redirect("/r1", 301),
        "/r1": lambda request: redirect("/rules.txt", 302),
        "/rules.txt": lambda request: Reply(
            body=b"User-agent: *\nDisallow: /a/3.html\n", content_type="text/plain"
        ),
        "/list.html": _list_page(0, 5),
        "/a/*": _article,
    }
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path, [source("s", site.url("/list.html"), article_links=LINKS)], settings=QUICK
        )
        result = crawl(config, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        assert set(_article_paths(site)) == {f"/a/{i}.html" for i in (0, 1, 2, 4)}
        assert "note s: 1 disallowed by robots.txt" in result.stdout


# -- sitemaps (item 3) ------------------------------------------------------------------------


def _index_chain(fan_out: int) -> Any:
    """Each ``/sm/N.xml`` is a sitemap index of ``fan_out`` new indexes: an endless tree."""

    def handler(request: Request) -> Reply:
        n = int(request.path.rsplit("/", 1)[1].split(".")[0])
        children = "".join(
            f"<sitemap><loc>/sm/{n * fan_out + k + 1}.xml</loc></sitemap>" for k in range(fan_out)
        )
        body = f'<?xml version="1.0"?><sitemapindex>{children}</sitemapindex>'
        return Reply(body=body.encode(), content_type="application/xml")

    return handler


def _sitemaps_fetched(site: HostileSite) -> int:
    return sum(1 for path in site.paths() if path.startswith("/sm/"))


@pytest.mark.parametrize(
    ("fan_out", "settings", "most"),
    [
        (1, {}, 1 + 3),  # the default depth limit ends a chain: the start index and 3 levels
        (3, {"FORUMWATCH_SITEMAP_MAX_DEPTH": 10_000, "FORUMWATCH_SITEMAP_MAX_COUNT": 20}, 1 + 20),
    ],
    ids=["chain-depth", "tree-count"],
)
def test_endless_sitemap_indexes_are_cut(
    tmp_path: Path, fan_out: int, settings: dict[str, Any], most: int
) -> None:
    """Item 3: every sitemap index points to new indexes, forever. Pass: the crawl ends well
    within the time limit, having fetched at most the start index plus the limit (depth or
    count), and the run reports the sitemaps it did not follow."""
    with HostileSite({"/sm/*": _index_chain(fan_out)}) as site:
        config = write_config(
            tmp_path, [source("s", site.url("/sm/0.xml"))], settings={**QUICK, **settings}
        )
        started = time.monotonic()
        result = crawl(config, timeout=60)
        assert time.monotonic() - started < 50
        assert "Traceback" not in result.stdout
        assert 2 <= _sitemaps_fetched(site) <= most
        assert re.search(r"note s: \d+ sitemaps not followed", result.stdout), result.stdout


def test_long_sitemap_is_taken_newest_first_in_bounded_batches(tmp_path: Path) -> None:
    """Item 3: one sitemap of 300 article URLs with dated ``<lastmod>`` (listed oldest first),
    ``FORUMWATCH_SITEMAP_MAX_ARTICLES: 40``. Pass: each crawl requests at most 40 articles, the
    first crawl the 40 newest, the second the next 40; the rest is counted as deferred."""
    entries = "".join(
        f"<url><loc>/a/{i}.html</loc>"
        f"<lastmod>2024-01-01T{i // 60:02d}:{i % 60:02d}:00+08:00</lastmod></url>"
        for i in range(300)
    )
    sitemap = f'<?xml version="1.0"?><urlset>{entries}</urlset>'.encode()
    newest = list(range(299, -1, -1))
    routes: dict[str, Any] = {
        "/sitemap.xml": lambda request: Reply(body=sitemap, content_type="application/xml"),
        "/a/*": lambda request: html("<html><body><p>x</p></body></html>"),
    }
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path,
            [source("s", site.url("/sitemap.xml"), article_links=LINKS)],
            settings={**QUICK, "FORUMWATCH_SITEMAP_MAX_ARTICLES": 40},
        )
        first = crawl(config, timeout=60)
        assert first.returncode == 0, first.stderr[-2000:]
        taken = set(_article_paths(site))
        assert taken == {f"/a/{i}.html" for i in newest[:40]}
        assert "note s: 260 new articles left for the next crawl" in first.stdout
        site.requests.clear()
        second = crawl(config, timeout=60)
        assert second.returncode == 0, second.stderr[-2000:]
        assert set(_article_paths(site)) == {f"/a/{i}.html" for i in newest[40:80]}
        assert "note s: 220 new articles left" in second.stdout
    with sqlite3.connect(tmp_path / "fw.db") as db:
        (runs,) = db.execute("select count(*) from crawl_runs where source_id = 's'").fetchone()
    assert runs == 2
