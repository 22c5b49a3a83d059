"""Feeds, sitemaps and URL canonicalization."""

from __future__ import annotations

from crawler.discover.feeds import MAX_SITEMAP_ENTRIES, FeedKind, FeedLinks, parse_feed, sniff_feed
from crawler.discover.urls import canonicalize, is_attachment_url, is_http_url, same_site

RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>http://x.cn/2024/a.html</link></item>
<item><title>b</title><guid>http://x.cn/2024/b.html</guid></item></channel></rss>"""
ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><link rel="alternate" href="/2021-05/23/c_1.htm"/></entry>
<entry><link href="http://x.cn/2021-05/24/c_2.htm"/></entry></feed>"""
SITEMAP = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://x.cn/show-1.html</loc><lastmod>2024-11-04</lastmod></url>
<url><loc> http://x.cn/show-2.html </loc></url></urlset>"""
INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://x.cn/sitemap-1.xml</loc></sitemap></sitemapindex>"""


def test_feeds_and_sitemaps() -> None:
    rss = parse_feed(RSS, "http://x.cn/rss.xml")
    assert rss is not None and rss.kind is FeedKind.RSS
    assert rss.articles == ["http://x.cn/2024/a.html", "http://x.cn/2024/b.html"]
    atom = parse_feed(ATOM, "http://x.cn/atom.xml")
    assert atom is not None and atom.articles == [
        "http://x.cn/2021-05/23/c_1.htm",
        "http://x.cn/2021-05/24/c_2.htm",
    ]
    sitemap = parse_feed(SITEMAP, "http://x.cn/sitemap.xml")
    assert sitemap is not None and sitemap.articles == [
        "http://x.cn/show-1.html",
        "http://x.cn/show-2.html",
    ]
    index = parse_feed(INDEX, "http://x.cn/sitemap.xml")
    assert index is not None and index.sitemaps == ["http://x.cn/sitemap-1.xml"]


def test_html_is_not_a_feed() -> None:
    assert sniff_feed(b"<!DOCTYPE html><html><body><rss>no</rss></body></html>") is None
    assert parse_feed(b"\x89PNG\r\n", "http://x.cn/") is None


def test_canonicalize() -> None:
    assert canonicalize("HTTP://WWW.X.gov.CN:80/a/index.html#top") == "http://www.x.gov.cn/a/"
    assert canonicalize("https://x.cn:443/a?utm_source=wx&id=2&b=1") == "http://x.cn/a?b=1&id=2"
    assert canonicalize("http://x.cn/a;jsessionid=ABC?id=1") == "http://x.cn/a?id=1"
    assert (
        canonicalize("http://127.0.0.1:8080/x/../y/show-1.html")
        == "http://127.0.0.1:8080/y/show-1.html"
    )
    assert canonicalize("http://x.cn/a?page=2") != canonicalize("http://x.cn/a?page=3")
    assert canonicalize("http://x.cn/a?sid=9&PHPSESSID=1&id=3") == "http://x.cn/a?id=3"


def test_the_scheme_is_folded_in_the_key_only() -> None:
    """http:// and https:// of one page are one canonical URL (the key; the fetched URL keeps its
    scheme); default ports fold whatever the scheme; other ports stay; canonical is a fixpoint."""
    key = canonicalize("http://x.cn/a/t1.html")
    assert key == "http://x.cn/a/t1.html"
    for variant in (
        "https://x.cn/a/t1.html",
        "HTTPS://X.cn:443/a/t1.html#top",
        "https://x.cn:80/a/t1.html",
        "http://x.cn:443/a/t1.html",
    ):
        assert canonicalize(variant) == key, variant
    assert canonicalize("https://x.cn:8443/a") == "http://x.cn:8443/a"
    assert canonicalize("https://[2001:db8::1]:443/a") == "http://[2001:db8::1]/a"
    for url in ("https://x.cn:8443/a?b=1", "https://[2001:db8::1]/a", "http://x.cn/a/"):
        assert canonicalize(canonicalize(url)) == canonicalize(url)


def test_only_http_urls_are_fetchable() -> None:
    assert is_http_url("http://x.cn/a") and is_http_url("HTTPS://x.cn")
    for url in (
        "file:///etc/passwd",
        "data:text/html,<p>x</p>",
        "ftp://x.cn/a",
        "s3://bucket/key",
        "javascript:alert(1)",
        "http:///no-host",
        "/relative",
        "http://[::1",
    ):
        assert not is_http_url(url), url


def test_feeds_and_sitemaps_yield_http_urls_only() -> None:
    """file:, data: and ftp: entries of an RSS feed, an Atom feed, a sitemap or a sitemap index
    are dropped; relative entries still resolve against the feed's http URL."""
    rss = b"""<rss><channel><item><link>file:///etc/passwd</link></item>
    <item><link>data:text/html;base64,PGgxPng8L2gxPg==</link></item>
    <item><guid>ftp://x.cn/pub/a.html</guid></item>
    <item><link>/2024/ok.html</link></item></channel></rss>"""
    feed = parse_feed(rss, "http://x.cn/rss.xml")
    assert feed is not None and feed.articles == ["http://x.cn/2024/ok.html"]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="file:///etc/hosts"/>
    </entry></feed>"""
    assert parse_feed(atom, "http://x.cn/atom.xml") == FeedLinks(FeedKind.ATOM)
    sitemap = b"""<urlset><url><loc>file:///etc/passwd</loc></url>
    <url><loc>https://x.cn/show-1.html</loc></url></urlset>"""
    parsed = parse_feed(sitemap, "http://x.cn/sitemap.xml")
    assert parsed is not None and parsed.articles == ["https://x.cn/show-1.html"]
    index = b"""<sitemapindex><sitemap><loc>file:///etc/sitemap.xml</loc></sitemap>
    <sitemap><loc>ftp://x.cn/s.xml</loc></sitemap></sitemapindex>"""
    assert parse_feed(index, "http://x.cn/sitemap.xml") == FeedLinks(FeedKind.SITEMAP_INDEX)


def test_mobile_hosts_fold_only_when_configured() -> None:
    folds = ("m.", "wap.", "www.")
    desktop = canonicalize("http://www.jm.gov.cn/xwzx/t20241104_1.html", folds)
    assert canonicalize("http://m.jm.gov.cn/xwzx/t20241104_1.html?from=timeline", folds) == desktop
    assert canonicalize("https://WAP.jm.gov.cn:443/xwzx/t20241104_1.html", folds) == desktop
    assert canonicalize("http://m.jm.gov.cn/xwzx/t20241104_1.html") == (
        "http://m.jm.gov.cn/xwzx/t20241104_1.html"
    )
    assert canonicalize("http://m.cn/a", folds) == "http://m.cn/a"  # a bare domain stays


def test_attachments_and_sites() -> None:
    assert is_attachment_url("http://x.cn/upload/plan.PDF")
    assert is_attachment_url("http://x.cn/f/a.docx")
    assert not is_attachment_url("http://x.cn/t20240101_1.html")
    assert same_site("http://www.jm.gov.cn/a", "http://news.jm.gov.cn/b")
    assert not same_site("http://www.jm.gov.cn/a", "http://www.gov.cn/b")
    assert not same_site("http://127.0.0.1:8001/a", "http://127.0.0.1:8002/a")


def test_sitemap_entries_newest_first_and_bounded() -> None:
    dated = b"""<urlset><url><loc>/old.html</loc><lastmod>2023-05-01</lastmod></url>
<url><loc>/undated-1.html</loc></url><url><loc>/bad.html</loc><lastmod>soon</lastmod></url>
<url><loc>/new.html</loc><lastmod>2024-05-01T08:00:00+08:00</lastmod></url>
<url><loc>http://[::1/broken</loc></url></urlset>"""
    sitemap = parse_feed(dated, "http://x.cn/sitemap.xml")
    assert sitemap is not None and sitemap.articles == [
        "http://x.cn/new.html",
        "http://x.cn/old.html",
        "http://x.cn/undated-1.html",
        "http://x.cn/bad.html",
    ]
    extra = 7
    body = b"<urlset>" + b"<url><loc>/a.html</loc></url>" * (MAX_SITEMAP_ENTRIES + extra)
    long = parse_feed(body + b"</urlset>", "http://x.cn/sitemap.xml")
    assert long is not None
    assert len(long.articles) == MAX_SITEMAP_ENTRIES and long.skipped == extra
