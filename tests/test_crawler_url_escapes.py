"""Canonical URLs and escapes: every spelling of one URL (raw or percent-encoded, any hex case,
escaped unreserved characters, IDN hosts) is one key; reserved escapes keep their meaning; links
are requested percent-encoded, a raw query in the page's encoding."""

from __future__ import annotations

import itertools
import re
import string
from urllib.parse import quote

import pytest

from crawler.discover.links import discover, parse_html
from crawler.discover.urls import canonicalize, request_url

# What a canonical URL may hold: RFC 3986 unreserved and reserved characters and escapes.
URI = re.compile(r"^[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=]*(?:%[0-9A-F]{2}[^%]*)*$")


def test_the_issues_examples_are_one_url() -> None:
    raw = "http://www.jm.gov.cn/xwzx/新闻/t20241104_5678.html"
    key = canonicalize(raw)
    assert key == "http://www.jm.gov.cn/xwzx/%E6%96%B0%E9%97%BB/t20241104_5678.html"
    assert canonicalize("http://www.jm.gov.cn/xwzx/%E6%96%B0%E9%97%BB/t20241104_5678.html") == key
    assert canonicalize("http://www.jm.gov.cn/xwzx/%e6%96%b0%e9%97%bb/t20241104_5678.html") == key
    assert canonicalize("https://WWW.jm.gov.cn/xwzx/%E6%96%b0闻/t20241104_5678.html#top") == key
    tilde = canonicalize("http://x.cn/~user/a.html")
    assert tilde == "http://x.cn/~user/a.html"
    assert canonicalize("http://x.cn/%7euser/a.html") == tilde
    assert canonicalize("http://x.cn/%7Euser/a.html") == tilde


def test_escaped_unreserved_characters_are_decoded() -> None:
    assert canonicalize("http://x.cn/%41%62%2D%5F%2E%7E%30.html") == "http://x.cn/Ab-_.~0.html"
    # an escaped dot segment is a dot segment, an escaped index page is the index page
    assert canonicalize("http://x.cn/a/%2e%2E/b/index%2Ehtml") == "http://x.cn/b/"
    assert canonicalize("http://x.cn/a?k=%41%7e") == "http://x.cn/a?k=A~"


def test_spaces_and_characters_a_uri_cannot_hold_are_escaped() -> None:
    key = canonicalize("http://x.cn/a%20b/c.html?q=x%20y")
    assert key == "http://x.cn/a%20b/c.html?q=x+y"
    assert canonicalize("http://x.cn/a b/c.html?q=x y") == key
    assert canonicalize("http://x.cn/a b/c.html?q=x+y") == key
    assert canonicalize("http://x.cn/a|b^c") == canonicalize("http://x.cn/a%7cb%5ec")
    assert canonicalize("http://x.cn/a|b^c") == "http://x.cn/a%7Cb%5Ec"
    # a % that starts no escape is a literal %
    assert canonicalize("http://x.cn/100%.html?p=5%") == "http://x.cn/100%25.html?p=5%25"
    assert canonicalize("http://x.cn/100%25.html?p=5%25") == "http://x.cn/100%25.html?p=5%25"


def test_reserved_escapes_keep_their_meaning() -> None:
    """An escaped / ? ; # stays escaped in the path; an escaped & = # stays inside its value."""
    assert (
        canonicalize("http://x.cn/a%2fb") == "http://x.cn/a%2Fb" != canonicalize("http://x.cn/a/b")
    )
    assert canonicalize("http://x.cn/a%3Fb") == "http://x.cn/a%3Fb"
    assert canonicalize("http://x.cn/a%23b") == "http://x.cn/a%23b"
    assert canonicalize("http://x.cn/a#b") == "http://x.cn/a"
    # an escaped ; is part of the segment, not a session parameter
    assert canonicalize("http://x.cn/a%3Bjsessionid=1") == "http://x.cn/a%3Bjsessionid=1"
    assert canonicalize("http://x.cn/a;jsessionid=1") == "http://x.cn/a"
    value = canonicalize("http://x.cn/s?q=a%26b%3Dc%23d")
    assert value == "http://x.cn/s?q=a%26b%3Dc%23d"
    assert value != canonicalize("http://x.cn/s?q=a&b=c")
    assert canonicalize("http://x.cn/s?a%3Db=1") == "http://x.cn/s?a%3Db=1"
    # a + in a value is a space; an escaped + is a plus
    assert canonicalize("http://x.cn/s?q=a%2Bb") != canonicalize("http://x.cn/s?q=a+b")


def test_non_ascii_queries() -> None:
    key = canonicalize("http://x.cn/search?kw=新闻&page=2")
    assert key == "http://x.cn/search?kw=%E6%96%B0%E9%97%BB&page=2"
    assert canonicalize("http://x.cn/search?page=2&kw=%e6%96%b0%e9%97%bb") == key
    # bytes in another encoding are kept as they are, never replaced
    gbk = canonicalize("http://x.cn/search?kw=%d0%c2%ce%c5")
    assert gbk == "http://x.cn/search?kw=%D0%C2%CE%C5"
    assert gbk != canonicalize("http://x.cn/search?kw=%BE%C9%CE%C5")  # 旧闻, not 新闻
    assert canonicalize(gbk) == gbk


def test_a_raw_query_on_a_gbk_page_is_sent_and_keyed_in_gbk() -> None:
    """Browsers send a raw query in the page's encoding (the path always in UTF-8): the link is
    requested that way, and its key is the key of its escaped spelling on any page."""
    link = "http://x.cn/新闻/list.asp?kw=新闻&page=1#top"
    requested = request_url(link, "gbk")
    assert requested == "http://x.cn/%E6%96%B0%E9%97%BB/list.asp?kw=%D0%C2%CE%C5&page=1"
    key = canonicalize(requested)
    assert key == canonicalize("http://x.cn/%e6%96%b0%e9%97%bb/list.asp?page=1&kw=%d0%c2%ce%c5")
    assert canonicalize(request_url(link, "gb18030")) == key
    assert canonicalize(request_url(key, "gbk")) == key
    # a UTF-8 page sends UTF-8, and so does a UTF-16 one (browsers never send UTF-16)
    assert request_url(link) == request_url(link, "utf-16") == request_url(link, "utf-8")
    assert "kw=%E6%96%B0%E9%97%BB" in request_url(link)
    # a character the page's encoding cannot write goes out in UTF-8
    assert request_url("http://x.cn/a?q=😀", "gbk") == "http://x.cn/a?q=%F0%9F%98%80"
    assert request_url("http://x.cn/a?q=新", "no-such-codec") == "http://x.cn/a?q=%E6%96%B0"


def test_idn_hosts_are_punycode() -> None:
    key = canonicalize("http://例子.政务.cn/新闻/a.html")
    assert key == "http://xn--fsqu00a.xn--zfr164b.cn/%E6%96%B0%E9%97%BB/a.html"
    assert canonicalize("https://XN--FSQU00A.xn--zfr164b.CN./%E6%96%B0%E9%97%BB/a.html") == key
    assert canonicalize("http://m.例子.政务.cn/a", ("m.",)) == "http://xn--fsqu00a.xn--zfr164b.cn/a"
    assert request_url("http://例子.政务.cn/a") == "http://xn--fsqu00a.xn--zfr164b.cn/a"


# -- every spelling of many URLs -----------------------------------------------------------------

PATHS = [
    "/xwzx/新闻/t20241104_5678.html",
    "/~user/a b/c.html",
    "/政务公开/通知公告/2024年/关于举办第三届论坛的通知.htm",
    "/a-b_c.d~e/Ünïcödé/",
    "/col/col100/",
    "/a/b;c=d/e",
    "/100%25/x%2Fy",
]
QUERIES = ["", "id=1003&cat=2", "kw=城市 更新&p=2", "q=a%26b&z=%2F", "k=%D0%C2"]
HOSTS = ["x.gov.cn", "例子.政务.cn"]


def spellings(host: str, path: str, query: str) -> list[str]:
    """Ways pages write one URL: raw, escaped in UTF-8 with upper- or lower-case hex, with
    unreserved characters escaped too, with the scheme, port, host case and fragment varied."""
    utf8 = quote(path, safe="/;=%")
    lower = re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), utf8)
    unreserved = "".join(
        piece
        if piece.startswith("%")
        else "".join(
            f"%{ord(ch):02x}" if ch in string.ascii_letters + "-_.~" and i % 2 else ch
            for i, ch in enumerate(piece)
        )
        for piece in re.split(r"(%[0-9A-Fa-f]{2})", utf8)
    )
    escaped_query = "&".join(
        "=".join(quote(part, safe="%") for part in field.split("=", 1))
        for field in query.split("&")
    )
    suffix = f"?{query}" if query else ""
    escaped_suffix = f"?{escaped_query}" if query else ""
    return [
        f"http://{host}{path}{suffix}",
        f"https://{host}:443{utf8}{escaped_suffix}#frag",
        f"HTTP://{host.upper()}:80{lower}{escaped_suffix}",
        f"http://{host}.{unreserved}{suffix}",
        f"https://{host}{path}{escaped_suffix}#a%20b",
    ]


@pytest.mark.parametrize(("host", "path", "query"), list(itertools.product(HOSTS, PATHS, QUERIES)))
def test_every_spelling_is_one_ascii_key(host: str, path: str, query: str) -> None:
    urls = spellings(host, path, query)
    keys = {canonicalize(url) for url in urls}
    assert len(keys) == 1, keys
    key = keys.pop()
    assert key.isascii() and URI.match(key), key
    assert canonicalize(key) == key
    for url in urls:
        assert canonicalize(request_url(url)) == key, url
        requested = request_url(url)
        assert requested.isascii() and " " not in requested and "#" not in requested


def test_keys_are_fixpoints_for_odd_inputs() -> None:
    for url in (
        "http://x.cn/%%41",
        "http://x.cn/%zz?%zz=%",
        "http://x.cn/a\\b",
        "http://x.cn?a=1",
        "http://x.cn/a?&&b=1&a",
        "http://[2001:db8::1]:8080/%7e",
        "http://x.cn/%C0%AF",
        "http://x.cn/a?q=%FF%FE",
    ):
        key = canonicalize(url)
        assert canonicalize(key) == key, url
        assert URI.match(key), key


def test_urls_that_are_not_http_are_left_alone() -> None:
    for url in ("mailto:a@x.cn", "javascript:void(0)", "/relative/新闻", "http://[::1/a"):
        assert canonicalize(f"  {url} ") == url
        assert request_url(url) == url


def test_a_list_page_linking_one_article_many_ways_lists_it_once() -> None:
    """A GBK page linking an article raw, escaped and with escaped unreserved characters, and a
    search result by its raw query and its GBK-escaped query: one link each, as requested."""
    page = """<html><body><ul class="list">
    <li><a href="/xwzx/新闻/t20241104_5678.html">第三届城市发展论坛在荆门隆重开幕</a></li>
    <li><a href="/xwzx/%e6%96%b0%e9%97%bb/t20241104_5678.html">第三届城市发展论坛在荆门隆重开幕</a></li>
    <li><a href="/%78wzx/%E6%96%B0%E9%97%BB/t20241104_5678.html#c">第三届城市发展论坛在荆门隆重开幕</a></li>
    <li><a href="/show.asp?id=1003&amp;kw=论坛">城市更新分论坛发布十项务实建议成果</a></li>
    <li><a href="/show.asp?kw=%C2%DB%CC%B3&amp;id=1003">城市更新分论坛发布十项务实建议成果</a></li>
    </ul></body></html>"""
    report = discover(parse_html(page), "http://www.jm.gov.cn/xwzx/", encoding="gbk")
    assert report.articles == [
        "http://www.jm.gov.cn/xwzx/%E6%96%B0%E9%97%BB/t20241104_5678.html",
        "http://www.jm.gov.cn/show.asp?id=1003&kw=%C2%DB%CC%B3",
    ]
