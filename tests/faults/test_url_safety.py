"""URL safety, end to end through the real ``forumwatch crawl`` (and ``extract``) against hostile
loopback sites.

Issue 7 item 2 (only http and https are ever requested), item 12 (no request to a private address
unless the config allows it, on every redirect hop) and item 14 (``http://`` and ``https://`` of
one page are one page).

The sites are on loopback, so the refusal of private addresses is shown two ways: with
``allow_private_networks: false`` a loopback site gets no request at all; and with
``FORUMWATCH_ALLOWED_NETWORKS: [127.0.0.1/32]`` (the documented allow-list) the watched site on
127.0.0.1 is crawled while redirects from it to other loopback addresses (127.0.0.2 and ``::1``
listen, so an attempt would show), to spellings of them and to the metadata address are refused.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from tests.faults.hostile import HostileSite, Reply, crawl, html, redirect, source, write_config
from tests.fixtures_sites import parse_crawl_summary, run_cli

BODY = "<p>" + "第三届城市更新论坛在武汉开幕，与会代表围绕城市更新展开讨论。" * 12 + "</p>"
TITLE = "第三届城市更新论坛在武汉开幕会议纪要"
PASSWD_MARKERS = ("root:", "/bin/", "localhost")


def article_page(title: str = TITLE) -> Reply:
    return html(
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{BODY}</body></html>"
    )


def list_page(*hrefs: str) -> Reply:
    items = "".join(f'<li><a href="{href}">{TITLE}{n}</a></li>' for n, href in enumerate(hrefs))
    return html(f'<html><body><ul class="news">{items}</ul></body></html>')


def xml(body: str) -> Reply:
    return Reply(body=body.encode("utf-8"), content_type="application/xml")


def stored(tmp_path: Path) -> list[dict[str, Any]]:
    """The stored articles (url, canonical_url, text) of ``tmp_path/fw.db``."""
    with closing(sqlite3.connect(tmp_path / "fw.db")) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT url, canonical_url, text FROM articles")]


def run_errors(tmp_path: Path) -> list[dict[str, str]]:
    """Every error sample recorded in the crawl runs."""
    with closing(sqlite3.connect(tmp_path / "fw.db")) as db:
        return [
            e
            for (errors,) in db.execute("SELECT errors FROM crawl_runs")
            for e in json.loads(errors)
        ]


@contextmanager
def silent_port() -> Iterator[tuple[int, socket.socket]]:
    """A loopback port that accepts connections into its backlog and never says a word (an FTP
    server that hangs): yields (port, listening socket) so a test can see whether anyone came."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield int(listener.getsockname()[1]), listener
    finally:
        listener.close()


def connection_attempted(listener: socket.socket) -> bool:
    listener.setblocking(False)
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def assert_nothing_local_stored(articles: list[dict[str, Any]]) -> None:
    for article in articles:
        assert article["url"].startswith("http://"), article["url"]
        assert not any(marker in article["text"] for marker in PASSWD_MARKERS), article["url"]


# -- item 2: only http and https -----------------------------------------------------------------


def test_feed_and_sitemap_entries_naming_local_files_are_never_fetched(tmp_path: Path) -> None:
    """RSS ``<link>file:///etc/passwd``, an Atom ``file:`` link, sitemap ``<loc>file://...``, a
    sitemap index pointing at ``file:``, ``data:`` URIs and an ``ftp://`` link to a silent port.
    Pass: the crawl ends promptly, only the feeds' one http article of each kind is stored, no
    stored text holds /etc/passwd, nothing is counted as failed, the ftp port saw no connection."""
    with silent_port() as (ftp_port, listener):
        hostile = [
            "file:///etc/passwd",
            "file://localhost/etc/passwd",
            "data:text/html;base64,PGgxPnJvb3Q6eDowOjA6PC9oMT4=",
            f"ftp://127.0.0.1:{ftp_port}/news/t20240101_1.html",
        ]
        rss_items = "".join(f"<item><link>{url}</link></item>" for url in hostile)
        atom_entries = "".join(f'<entry><link href="{url}"/></entry>' for url in hostile)
        locs = "".join(f"<url><loc>{url}</loc></url>" for url in hostile)
        routes = {
            "/rss.xml": lambda _: xml(
                f"<rss><channel>{rss_items}<item><link>/n1/t20240101_1.html</link></item>"
                "</channel></rss>"
            ),
            "/atom.xml": lambda _: xml(
                f'<feed xmlns="http://www.w3.org/2005/Atom">{atom_entries}'
                '<entry><link href="/n2/t20240101_2.html"/></entry></feed>'
            ),
            "/sitemap.xml": lambda _: xml(
                f"<urlset>{locs}<url><loc>/n3/t20240101_3.html</loc></url></urlset>"
            ),
            "/index.xml": lambda _: xml(
                "<sitemapindex><sitemap><loc>file:///etc/sitemap.xml</loc></sitemap>"
                f"<sitemap><loc>ftp://127.0.0.1:{ftp_port}/s.xml</loc></sitemap></sitemapindex>"
            ),
            "/n1/*": lambda _: article_page(),
            "/n2/*": lambda _: article_page(),
            "/n3/*": lambda _: article_page(),
        }
        with HostileSite(routes) as site:
            config = write_config(
                tmp_path,
                [
                    source(
                        "feeds",
                        site.url("/rss.xml"),
                        site.url("/atom.xml"),
                        site.url("/sitemap.xml"),
                        site.url("/index.xml"),
                    )
                ],
                settings={"DOWNLOAD_TIMEOUT": 120},
            )
            started = time.monotonic()
            result = crawl(config, timeout=90)
            elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stdout + result.stderr
        assert elapsed < 60, f"the crawl took {elapsed:.0f} s"
        assert not connection_attempted(listener), "the ftp:// link was followed"
    articles = stored(tmp_path)
    assert sorted(a["url"] for a in articles) == [
        site.url(f"/n{n}/t20240101_{n}.html") for n in (1, 2, 3)
    ]
    assert_nothing_local_stored(articles)
    assert parse_crawl_summary(result.stdout)["feeds"]["failed"] == "0"


def test_article_links_overrides_matching_local_files_fetch_nothing_local(tmp_path: Path) -> None:
    """A list page whose only article hrefs are ``file://``, ``data:`` and ``ftp://``, crawled
    with ``article_links`` overrides that select them (CSS, XPath and a ``re:`` that matches
    anything). Pass: nothing stored, no failure counted (nothing was requested)."""
    hrefs = [
        "file:///etc/passwd",
        "data:text/html,<p>root:x:0:0</p>",
        "ftp://127.0.0.1:9/t20240101_1.html",
    ]
    with HostileSite({"/list.html": lambda _: list_page(*hrefs)}) as site:
        config = write_config(
            tmp_path,
            [
                source("css", site.url("/list.html"), article_links="ul.news a"),
                source("xpath", site.url("/list.html?x"), article_links="//ul[@class='news']//a"),
                source("regex", site.url("/list.html?r"), article_links="re:."),
            ],
        )
        result = crawl(config)
        requested = site.paths()
    assert result.returncode == 0, result.stdout + result.stderr
    assert stored(tmp_path) == []
    summary = parse_crawl_summary(result.stdout)
    assert summary["all"]["failed"] == "0" and summary["all"]["lists"] == "3"
    assert sorted(set(requested)) == ["/list.html", "/robots.txt"]


def test_redirects_and_meta_refreshes_to_local_files_are_not_followed(tmp_path: Path) -> None:
    """Article links whose pages redirect (302) or meta-refresh to ``file:///etc/passwd``,
    ``data:`` or a silent ``ftp://`` port. Pass: the crawl ends promptly; no stored text holds the
    local file; the ftp port saw no connection; redirects count as failures, not articles."""
    with silent_port() as (ftp_port, listener):
        targets = {
            "1": "file:///etc/passwd",
            "2": "data:text/html,<p>root:x:0:0</p>",
            "3": f"ftp://127.0.0.1:{ftp_port}/pub/a.html",
        }
        routes: dict[str, Any] = {
            "/list.html": lambda _: list_page(
                *(f"/r/t20240101_{n}.html" for n in targets),
                *(f"/m/t20240102_{n}.html" for n in targets),
            ),
        }
        for n, target in targets.items():
            routes[f"/r/t20240101_{n}.html"] = lambda _, to=target: redirect(to)
            routes[f"/m/t20240102_{n}.html"] = lambda _, to=target: html(
                f'<html><head><meta http-equiv="refresh" content="0; url={to}"></head>'
                f"<body>{BODY}</body></html>"
            )
        with HostileSite(routes) as site:
            config = write_config(
                tmp_path,
                [source("s", site.url("/list.html"), article_links="re:/[rm]/")],
                settings={"DOWNLOAD_TIMEOUT": 120},
            )
            started = time.monotonic()
            result = crawl(config, timeout=90)
            elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stdout + result.stderr
        assert elapsed < 60
        assert not connection_attempted(listener)
    articles = stored(tmp_path)
    assert_nothing_local_stored(articles)
    # the meta-refresh pages are stored as they are (the refresh not followed); redirects fail
    assert sorted(a["url"] for a in articles) == sorted(
        site.url(f"/m/t20240102_{n}.html") for n in targets
    )
    assert parse_crawl_summary(result.stdout)["s"]["failed"] == "3"


# -- item 12: private addresses -----------------------------------------------------------------


def test_a_loopback_site_gets_no_request_unless_private_networks_are_allowed(
    tmp_path: Path,
) -> None:
    """``allow_private_networks: false`` (the default) and sources on 127.0.0.1, on ``localhost``
    (a name resolving to loopback) and on ``0x7f000001``. Pass: the site receives no request at
    all (not even robots.txt), nothing is stored, each source fails with a message naming the
    refusal, and the crawl finishes."""
    with HostileSite({"/list.html": lambda _: list_page("/a/t20240101_1.html")}) as site:
        port = site.base_url.rsplit(":", 1)[1]
        config = write_config(
            tmp_path,
            [
                source("ip", site.url("/list.html")),
                source("name", f"http://localhost:{port}/list.html"),
                source("hex", f"http://0x7f000001:{port}/list.html"),
            ],
            allow_private_networks=False,
        )
        result = crawl(config)
        requested = site.paths()
    assert requested == []
    assert stored(tmp_path) == []
    summary = parse_crawl_summary(result.stdout)
    for source_id in ("ip", "name", "hex"):
        assert summary[source_id]["status"] == "failed"
    errors = " ".join(e["error"] for e in run_errors(tmp_path))
    assert "Refused: 127.0.0.1 is a loopback address" in errors
    assert "Refused: localhost resolves to 127.0.0.1, a loopback address" in errors
    assert "Refused: 0x7f000001 is 127.0.0.1, a loopback address" in errors
    assert "crawl finished (finished)" in result.stdout


def test_every_redirect_hop_is_checked(tmp_path: Path) -> None:
    """With only 127.0.0.1 allowed (``FORUMWATCH_ALLOWED_NETWORKS``), the watched site's article
    links redirect to 127.0.0.2 (dotted, integer, hex, octal, IPv4-mapped), to ``[::1]``, to the
    metadata address 169.254.169.254 and, by meta refresh, to 127.0.0.2; one control link
    redirects within 127.0.0.1. Pass: the sites on 127.0.0.2 and ::1 receive no request (not
    even robots.txt), only the control article is stored, each refused hop is a failure naming
    the refusal, and the crawl ends well before any connection to 169.254.169.254 could time
    out."""
    with (
        HostileSite({"/*": lambda _: article_page()}, host="127.0.0.2") as inner,
        HostileSite({"/*": lambda _: article_page()}, host="::1") as inner6,
    ):
        p4 = inner.base_url.rsplit(":", 1)[1]
        p6 = inner6.base_url.rsplit(":", 1)[1]
        targets = [
            f"http://127.0.0.2:{p4}/secret.html",
            f"http://2130706434:{p4}/secret.html",
            f"http://0x7f000002:{p4}/secret.html",
            f"http://0177.0.0.2:{p4}/secret.html",
            f"http://[::ffff:127.0.0.2]:{p4}/secret.html",
            f"http://[::1]:{p6}/secret.html",
            "http://169.254.169.254/latest/meta-data/",
        ]
        routes: dict[str, Any] = {
            "/list.html": lambda _: list_page(
                *(f"/a/t20240101_{n}.html" for n in range(len(targets) + 2))
            ),
            "/a/t20240101_0.html": lambda _: redirect("/final/t20240101_0.html"),
            "/final/t20240101_0.html": lambda _: article_page(),
            "/a/t20240101_1.html": lambda _: html(
                f'<html><head><meta http-equiv="refresh" content="0; url={targets[0]}">'
                "</head><body></body></html>"
            ),
        }
        for n, target in enumerate(targets, start=2):
            routes[f"/a/t20240101_{n}.html"] = lambda _, to=target: redirect(to)
        with HostileSite(routes) as site:
            config = write_config(
                tmp_path,
                [source("s", site.url("/list.html"), article_links="re:/a/")],
                allow_private_networks=False,
                settings={
                    "FORUMWATCH_ALLOWED_NETWORKS": ["127.0.0.1/32"],
                    "DOWNLOAD_TIMEOUT": 180,
                },
            )
            started = time.monotonic()
            result = crawl(config)
            elapsed = time.monotonic() - started
            watched = site.paths()
        assert inner.paths() == [] and inner6.paths() == []
    assert result.returncode == 0, result.stdout + result.stderr
    assert elapsed < 90
    assert "/final/t20240101_0.html" in watched
    assert [a["url"] for a in stored(tmp_path)] == [site.url("/final/t20240101_0.html")]
    assert parse_crawl_summary(result.stdout)["s"]["failed"] == str(len(targets) + 1)
    errors = [e["error"] for e in run_errors(tmp_path)]
    assert len(errors) == len(targets) + 1
    assert all(e.startswith("Refused: ") for e in errors), errors
    joined = " ".join(errors)
    for expected in (
        "127.0.0.2 is a loopback address",
        "2130706434 is 127.0.0.2, a loopback address",
        "0x7f000002 is 127.0.0.2, a loopback address",
        "0177.0.0.2 is 127.0.0.2, a loopback address",
        "::1 is a loopback address",
        "169.254.169.254 is a cloud metadata address",
    ):
        assert expected in joined, expected


# -- item 14: one page, one canonical URL -------------------------------------------------------


def test_http_and_https_links_to_one_page_are_one_article(tmp_path: Path) -> None:
    """A list page links one article both as ``http://`` and ``https://`` (same host and port),
    and a later crawl's feed lists the ``https://`` form. Pass: the page is requested once,
    stored once under its http canonical URL; the https form is never requested (no TLS
    failure counted) and the second crawl finds it known."""
    page = "/news/t20240101_1.html"
    with HostileSite(
        {
            "/list.html": lambda _: list_page(page, f"https://{host_port}{page}"),
            "/feed.xml": lambda _: xml(
                f"<rss><channel><item><link>https://{host_port}{page}</link></item></channel></rss>"
            ),
            page: lambda _: article_page(),
        }
    ) as site:
        host_port = site.base_url.removeprefix("http://")
        config = write_config(tmp_path, [source("s", site.url("/list.html"))])
        first = crawl(config)
        config = write_config(
            tmp_path, [source("s", site.url("/list.html"), site.url("/feed.xml"))]
        )
        second = crawl(config)
        fetched = [path for path in site.paths() if path == page]
    assert first.returncode == 0 and second.returncode == 0, first.stdout + second.stdout
    assert fetched == [page]
    articles = stored(tmp_path)
    assert [(a["url"], a["canonical_url"]) for a in articles] == [(site.url(page), site.url(page))]
    summary = parse_crawl_summary(second.stdout)["s"]
    assert (summary["new"], summary["failed"]) == ("0", "0")
    assert parse_crawl_summary(first.stdout)["s"]["failed"] == "0"


def test_extract_applies_the_same_rule(tmp_path: Path) -> None:
    """``forumwatch extract URL`` on a loopback page, and on a page redirecting to
    ``file:///etc/passwd``. Pass: without ``--allow-private-networks`` it exits 1 naming the
    loopback refusal and the site sees no request; with it, the page is extracted and the
    redirect to the local file is refused (exit 1, no file content printed)."""
    routes = {
        "/a.html": lambda _: article_page(),
        "/r.html": lambda _: redirect("file:///etc/passwd"),
    }
    with HostileSite(routes) as site:
        config = write_config(tmp_path, [source("s", site.url("/a.html"))])
        refused = run_cli(config, "extract", "--json", site.url("/a.html"))
        assert site.paths() == []
        allowed = run_cli(
            config, "extract", "--json", "--allow-private-networks", site.url("/a.html")
        )
        local = run_cli(
            config, "extract", "--json", "--allow-private-networks", site.url("/r.html")
        )
    assert refused.returncode == 1
    assert "127.0.0.1 is a loopback address" in json.loads(refused.stdout)["error"]
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["title"] == TITLE
    assert local.returncode == 1
    assert "redirect to a non-http(s) URL refused" in json.loads(local.stdout)["error"]
    assert not any(marker in local.stdout + local.stderr for marker in ("root:", "/bin/"))
