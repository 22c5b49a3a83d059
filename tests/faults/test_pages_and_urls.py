"""Pages that lie or break, and URLs that name one page many ways.

Each runs the real CLI against a hostile site on loopback and reads what was stored: charset lies
(header and meta disagreeing with the bytes), malformed HTML (unclosed tags, 10,000 nested divs,
NUL bytes, 2 MB and 5 MB attributes), PDFs behind links (scrapy#6159: a link to a PDF can crash link
extraction), and URL variants that must all be one article, fetched once.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from crawler.discover.urls import canonicalize
from tests.faults.hostile import HostileSite, Reply, Request, html, source, write_config
from tests.faults.newsroom import (
    article_links,
    article_page,
    article_path,
    article_title,
    crawl_measured,
    list_page,
    news_routes,
    page,
    query,
    runs,
    stored_urls,
)
from tests.fixtures_sites import run_cli

IN_PROCESS = {"FORUMWATCH_EXTRACT_WORKERS": 0}
PARAGRAPH = "位代表围绕"  # in every paragraph of every article_text


def listed_articles(config: Path) -> dict[str, dict[str, Any]]:
    """``articles --json``, by canonical URL."""
    result = run_cli(config, "articles", "--json", "--limit", "1000", timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {row["canonical_url"]: row for row in rows}


def served(body: bytes, content_type: str | None) -> Reply:
    return Reply(body=body, content_type=content_type)


def test_charset_lies_are_decoded_from_the_bytes(tmp_path: Path) -> None:
    """Scenario: article pages whose declared charset lies: the header says UTF-8 and the page
    is GBK, the header says GBK and the page is UTF-8, a meta charset says gb2312 over UTF-8
    bytes or utf-8 over GBK bytes, header and meta both say UTF-8 over GBK bytes, and an
    http-equiv meta says gbk over UTF-8 bytes served with no Content-Type at all.
    Pass: the crawl exits 0; each page is stored once with its Chinese title and body intact
    and no encoding_damage flag."""
    gbk_meta_utf8 = "<meta charset='utf-8'>"
    lies = {
        1: served(article_page(1, head="").encode("gbk"), "text/html; charset=utf-8"),
        2: served(article_page(2, head="").encode("utf-8"), "text/html; charset=gbk"),
        3: served(article_page(3, head="<meta charset='gb2312'>").encode("utf-8"), "text/html"),
        4: served(article_page(4, head=gbk_meta_utf8).encode("gbk"), "text/html"),
        5: served(article_page(5, head=gbk_meta_utf8).encode("gbk"), "text/html; charset=UTF-8"),
        6: served(
            article_page(
                6, head="<meta http-equiv='Content-Type' content='text/html; charset=gbk'>"
            ).encode("utf-8"),
            None,
        ),
    }
    routes = news_routes(lies)
    routes.update({article_path(n): (lambda reply: lambda _r: reply)(r) for n, r in lies.items()})
    with HostileSite(routes) as site:
        config = write_config(tmp_path, [source("s", site.url("/news/"))], settings=IN_PROCESS)
        result = crawl_measured(config, timeout=120)
        base = site.base_url
        rows = listed_articles(config)

    assert result.returncode == 0, result.stdout + result.stderr
    result.assert_clean()
    assert stored_urls(f"sqlite:///{tmp_path / 'fw.db'}") == {
        base + article_path(n): 1 for n in lies
    }
    for n in lies:
        row = rows[base + article_path(n)]
        assert row["title"] == article_title(n), n
        assert row["text"].count(PARAGRAPH) == 6, (n, row["text"][:200])
        assert "encoding_damage" not in row["flags"], (n, row["flags"])


def attribute_page(n: int, size: int) -> str:
    """Article ``n`` opening with an inline base64 image of ``size`` bytes (pasted from an editor)."""
    image = f"<p><img src='data:image/png;base64,{'A' * size}'></p>"
    return article_page(n).replace("<div class='content'>", "<div class='content'>" + image)


def test_malformed_html_is_stored_or_counted_never_crashes(db_url: str, tmp_path: Path) -> None:
    """Scenario: article pages with unclosed tags everywhere, the text inside 1,500 and 10,000 nested
    divs, NUL bytes inside the title and the text, a 2 MB and a 5 MB attribute (an inline image)
    before the text; good pages next to them; on SQLite and on PostgreSQL (which refuses NUL in
    text).
    Pass: the crawl ends within 60 s and exits 0 with no traceback; every page is stored once
    with its title and no NUL character, and with its body, except where a bound cuts it: a body
    nested deeper than libxml2's huge-tree limit (2,048 levels) is cut and the article flagged
    empty_body; text behind a 5 MB inline image survives (long attribute values go before the
    3,000,000-character page cut); nothing failed."""
    unclosed = article_page(1).replace("</p>", "").replace("</div>", "")
    unclosed = unclosed.replace("</body></html>", "<div><span><table><tr><td><p>")
    nested = article_page(2).replace("<body>", "<body>" + "<div>" * 10_000)
    deep = article_page(8).replace("<body>", "<body>" + "<div>" * 1_500)
    nul = article_page(3).replace("城市发展", "城市\x00发展").replace("</p>", "\x00</p>")
    bad = {1: unclosed, 2: nested, 3: nul, 4: attribute_page(4, 2 << 20)}
    bad[5] = attribute_page(5, 5 << 20)
    bad[8] = deep
    may_lose_body = {2}
    numbers = [*bad, 6, 7]
    routes = news_routes(numbers)
    routes.update({article_path(n): page(body) for n, body in bad.items()})
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path, [source("s", site.url("/news/"))], db_url=db_url, settings=IN_PROCESS
        )
        result = crawl_measured(config, timeout=120)
        base = site.base_url
        rows = listed_articles(config)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.seconds < 60, f"took {result.seconds:.0f} s"
    result.assert_clean()
    assert stored_urls(db_url) == {base + article_path(n): 1 for n in numbers}
    for n in numbers:
        row = rows[base + article_path(n)]
        assert row["title"] == article_title(n), (n, row["title"])
        assert "\x00" not in row["title"] + row["text"], n
        if n in may_lose_body and not row["text"]:
            assert "empty_body" in row["flags"], row["flags"]
            continue
        assert row["text"].count(PARAGRAPH) == 6, (n, row["text"][:300])
    [run] = runs(db_url, "s")
    assert (run["status"], run["new_articles"], run["failed"]) == ("ok", len(numbers), 0)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_pdf_links_are_recorded_as_attachments(tmp_path: Path) -> None:
    """Scenario (scrapy#6159, a link to a PDF crashing link extraction): a list page links a
    report.pdf, an article-shaped URL that serves application/pdf, one that serves a PDF as
    application/octet-stream, and an article that itself links a PDF; its 下一页 link and a second
    source's start URL serve PDFs too.
    Pass: the crawl exits 0 with no traceback; the PDFs are recorded once each as attachments
    (the linked one with its article, the served ones with their content type), none is stored
    as an article, and those named .pdf are never downloaded; the good articles are stored once
    each; nothing failed."""
    with_pdf = article_page(1, extra_body="<p><a href='/files/agenda.pdf'>会议议程.pdf</a></p>")
    routes = news_routes(
        [1, 2],
        extra_links=[
            ("/files/report.pdf", "第九届城市发展论坛总结报告（PDF）"),
            (article_path(901), "第九届城市发展论坛主旨演讲全文"),
            (article_path(902), "第九届城市发展论坛签约项目清单"),
        ],
    )
    routes["/news/"] = page(
        list_page(
            [*article_links([1, 2]), ("/files/report.pdf", "第九届城市发展论坛总结报告（PDF）")]
            + [(article_path(901), "第九届城市发展论坛主旨演讲全文")]
            + [(article_path(902), "第九届城市发展论坛签约项目清单")],
            extra="<div class='page'><a href='/news/list_2.html'>下一页</a></div>",
        )
    )
    pdf = lambda content_type: lambda _r: served(PDF, content_type)  # noqa: E731
    routes.update(
        {
            article_path(1): page(with_pdf),
            article_path(901): pdf("application/pdf"),
            article_path(902): pdf("application/octet-stream"),
            "/files/*": pdf("application/pdf"),
            "/news/list_2.html": pdf("application/pdf"),
            "/pdf-column/": pdf("application/pdf"),
        }
    )
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path,
            [source("s", site.url("/news/")), source("pdf", site.url("/pdf-column/"))],
            settings=IN_PROCESS,
        )
        result = crawl_measured(config, timeout=120)
        base = site.base_url
        requested = Counter(site.paths())

    assert result.returncode == 0, result.stdout + result.stderr
    result.assert_clean()
    assert requested["/news/list_2.html"] == requested["/pdf-column/"] == 1, requested
    assert requested["/files/report.pdf"] == requested["/files/agenda.pdf"] == 0, requested
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    assert stored_urls(db_url) == {base + article_path(n): 1 for n in (1, 2)}
    attachments = query(db_url, "SELECT url, article_id, content_type FROM attachments")
    assert Counter(url for url, _, _ in attachments) == dict.fromkeys(
        [
            base + p
            for p in (
                "/files/report.pdf",
                "/files/agenda.pdf",
                article_path(901),
                article_path(902),
            )
        ],
        1,
    )
    by_url = {url: (article_id, content_type) for url, article_id, content_type in attachments}
    [(first_id,)] = query(
        db_url, "SELECT id FROM articles WHERE url = :u", u=base + article_path(1)
    )
    assert by_url[base + "/files/agenda.pdf"][0] == first_id
    assert by_url[base + article_path(901)][1] == "application/pdf"
    assert by_url[base + article_path(902)][1] == "application/octet-stream"
    for run in runs(db_url):
        assert run["failed"] == 0, run


def test_url_variants_are_one_article_fetched_once(tmp_path: Path) -> None:
    """Scenario: a column and an RSS feed name three articles many ways: tracking parameters
    (utm_*, spm, from), a fragment, ;jsessionid= in the path and PHPSESSID/sid in the query,
    upper-case host and scheme, a trailing index.html, query parameters in another order; the
    site is crawled twice.
    Pass: each article is requested once and stored once under one canonical URL; the second
    crawl requests no article and stores nothing new. (Default ports can't be served on
    loopback without privileges; their folding is checked on the canonical form.)"""
    host = "localhost"

    def variants(port: int) -> list[str]:
        one, two = article_path(1), "/news/2024/11/feature_2/"
        three = "/news/show.aspx?id=1003&cat=2"
        return [
            one,
            f"{one}?utm_source=wechat&utm_medium=share",
            f"{one}#comments",
            f"{one};jsessionid=0A1B2C3D",
            f"{one}?PHPSESSID=abc123&spm=a.b.c",
            f"HTTP://LOCALHOST:{port}{one}?from=timeline",
            f"http://LocalHost:{port}{one}?sid=9",
            two,
            f"{two}index.html",
            three,
            "/news/show.aspx?cat=2&id=1003",
            "/news/show.aspx?utm_campaign=x&cat=2&id=1003#top",
        ]

    def column(request: Request) -> Reply:
        port = int(request.headers["Host"].rsplit(":", 1)[1])
        links = [
            (url, article_title(3 if "show" in url else 2 if "feature" in url else 1))
            for url in variants(port)
        ]
        return html(list_page(links))

    def feed(request: Request) -> Reply:
        port = int(request.headers["Host"].rsplit(":", 1)[1])
        items = "".join(
            f"<item><title>{article_title(2 if 'feature' in url else 1)}</title>"
            f"<link>{url if url.startswith('HTTP') or url.startswith('http') else f'http://{host}:{port}{url}'}"
            "</link></item>".replace("&", "&amp;")
            for url in variants(port)
            if "show" not in url
        )
        body = f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>新闻</title>{items}</channel></rss>"
        return Reply(body=body.encode("utf-8"), content_type="application/rss+xml")

    routes = {
        **news_routes([]),
        "/news/": column,
        "/rss.xml": feed,
        article_path(1): page(article_page(1)),
        "/news/2024/11/feature_2/": page(article_page(2)),
        "/news/show.aspx": page(article_page(3)),
    }
    with HostileSite(routes) as site:
        port = int(site.base_url.rsplit(":", 1)[1])
        base = f"http://{host}:{port}"
        config = write_config(
            tmp_path,
            [source("s", f"{base}/news/", f"{base}/rss.xml")],
            settings=IN_PROCESS,
        )
        first = crawl_measured(config, timeout=120)
        first_paths = Counter(site.paths())
        site.requests.clear()
        second = crawl_measured(config, timeout=120)
        second_paths = Counter(site.paths())

    for result in (first, second):
        assert result.returncode == 0, result.stdout + result.stderr
        result.assert_clean()
    articles = [article_path(1), "/news/2024/11/feature_2/", "/news/show.aspx"]
    lists = ["/robots.txt", "/news/", "/rss.xml"]
    assert first_paths == dict.fromkeys(lists + articles, 1), first_paths
    # the second crawl takes robots.txt from the first's copy (kept 24 h)
    assert second_paths == dict.fromkeys(lists[1:], 1), second_paths
    expected = {
        f"{base}{article_path(1)}",
        f"{base}/news/2024/11/feature_2/",
        f"{base}/news/show.aspx?cat=2&id=1003",
    }
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    assert stored_urls(db_url) == dict.fromkeys(expected, 1)
    first_run, second_run = runs(db_url, "s")
    assert (first_run["list_pages"], first_run["new_articles"]) == (2, 3)
    assert (second_run["new_articles"], second_run["failed"]) == (0, 0)
    assert canonicalize("http://Example.GOV.cn:80/a.html") == canonicalize(
        "http://example.gov.cn/a.html"
    )
    # the scheme is folded too: http and https of a page are one canonical URL
    assert canonicalize("https://example.gov.cn:443/a.html") == "http://example.gov.cn/a.html"


def test_escaped_and_raw_spellings_are_one_article_fetched_once(tmp_path: Path) -> None:
    """Scenario: a GBK news column links one article by its raw Chinese path, its UTF-8 escapes
    in lower and upper case and with an escaped unreserved character, and a search-style article
    by a raw Chinese query value and by the same value escaped in GBK.
    Pass: each article is requested once, percent-encoded, the query in GBK as a browser sends
    it (the site answers only that); one row each, keyed by the escaped form; a second crawl
    requests neither again."""
    path = "/xwzx/新闻/content_1001.html"
    keyword = "论坛"
    links = [
        path,
        "/xwzx/%e6%96%b0%e9%97%bb/content_1001.html",
        "/xwzx/%E6%96%B0%E9%97%BB/content_1001.html#top",
        "/%78wzx/%E6%96%B0%E9%97%BB/content_1001.html",
        f"/show.asp?id=1002&kw={keyword}",
        "/show.asp?kw=%C2%DB%CC%B3&id=1002",
    ]
    column = list_page([(href, article_title(2 if "show" in href else 1)) for href in links])
    column = column.replace("charset='utf-8'", "charset='gbk'")

    def xwzx(request: Request) -> Reply:
        if request.path.endswith("/"):
            return Reply(body=column.encode("gbk"), content_type="text/html; charset=gbk")
        if unquote_to_bytes(request.path) == path.encode("utf-8"):
            return html(article_page(1))
        return Reply(404, b"not found")

    def show(request: Request) -> Reply:
        fields = dict(field.partition("=")[::2] for field in request.query.split("&"))
        sent = unquote_to_bytes(fields.get("kw", ""))
        if sent == keyword.encode("gbk") and fields.get("id") == "1002":
            return html(article_page(2))
        return Reply(404, b"not found")

    routes = {**news_routes([]), "/xwzx/*": xwzx, "/show.asp": show}
    with HostileSite(routes) as site:
        config = write_config(tmp_path, [source("s", site.url("/xwzx/"))], settings=IN_PROCESS)
        first = crawl_measured(config, timeout=120)
        first_requests = Counter(f"{r.path}?{r.query}" for r in site.requests)
        site.requests.clear()
        second = crawl_measured(config, timeout=120)
        second_paths = Counter(site.paths())
        base = site.base_url

    for result in (first, second):
        assert result.returncode == 0, result.stdout + result.stderr
        result.assert_clean()
    escaped = "/xwzx/%E6%96%B0%E9%97%BB/content_1001.html"
    assert first_requests == {
        "/robots.txt?": 1,
        "/xwzx/?": 1,
        f"{escaped}?": 1,
        "/show.asp?id=1002&kw=%C2%DB%CC%B3": 1,
    }, first_requests
    assert second_paths == {"/xwzx/": 1}, second_paths
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    assert stored_urls(db_url) == {
        f"{base}{escaped}": 1,
        f"{base}/show.asp?id=1002&kw=%C2%DB%CC%B3": 1,
    }
    assert canonicalize(f"{base}{path}") == f"{base}{escaped}"
    assert (runs(db_url, "s")[0]["new_articles"], runs(db_url, "s")[0]["failed"]) == (2, 0)
