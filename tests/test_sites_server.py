"""The fixture-site server over real HTTP, and the committed site trees against their expectations."""

from __future__ import annotations

import html
import re
import time
import urllib.error
import urllib.request
import urllib.robotparser
import uuid
from datetime import date
from email.message import Message
from pathlib import Path

import pytest
import yaml

from tests.fixtures_sites import demo_config, expected_urls, site_expectations
from tests.sites import build_sites
from tests.sites.demo import write_demo_config
from tests.sites.server import SITES_DIR, SiteServer, serve_sites, site_names

SITES = site_names()
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)")
_LINK = re.compile(r"""\b(?:href|src)=["'](/(?!/)[^"'#]*)""", re.IGNORECASE)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET") -> tuple[int, Message, bytes]:
    """Status, headers and body of one request; redirects are not followed."""
    request = urllib.request.Request(url, method=method)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def site_file(site: str, path: str) -> bytes:
    return (SITES_DIR / site / build_sites._disk_path(path)).read_bytes()


# --- the server -----------------------------------------------------------------------------------


def test_serves_file_bytes_with_site_charset(demo_sites: dict[str, str]) -> None:
    path = "/news/202407/t20240726_1234.html"
    status, headers, body = fetch(demo_sites["cityinvest"] + path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Server"] == "nginx/1.18.0"
    assert body == site_file("cityinvest", path)


def test_gbk_site_sends_no_charset_and_bytes_arrive_intact(demo_sites: dict[str, str]) -> None:
    path = "/gzdt/art_100_2987.html"
    status, headers, body = fetch(demo_sites["investpromo"] + path)
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    assert body == site_file("investpromo", path)
    text = body.decode("gbk")
    assert 'charset=gbk"' in text
    assert "当前位置:" in text and "文章来源: 文章类型: 内容分类:" in text
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_wrong_charset_header_is_served_as_declared(demo_sites: dict[str, str]) -> None:
    status, headers, body = fetch(demo_sites["investpromo"] + "/gzdt/art_100_2990.html")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "战略合作备忘录" in body.decode("gbk")


def test_gbk_page_with_two_stray_bytes(demo_sites: dict[str, str]) -> None:
    _, _, body = fetch(demo_sites["investpromo"] + "/gzdt/art_100_2995.html")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gbk")
    assert body.decode("gbk", errors="replace").count("\ufffd") == 2


def test_gb2312_declared_page_needs_gbk(demo_sites: dict[str, str]) -> None:
    _, headers, body = fetch(demo_sites["jingmen"] + "/xwzx/2017-11/10/content_70.htm")
    assert headers["Content-Type"] == "text/html"
    assert b"charset=gb2312" in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")
    assert "副市长李堃" in body.decode("gbk")


def test_fragment_page_has_no_document_and_no_charset(demo_sites: dict[str, str]) -> None:
    status, headers, body = fetch(demo_sites["portal"] + "/2024-12/20/c_14015.htm")
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    text = body.decode("utf-8").lower()
    assert "<html" not in text and "<body" not in text and "<head" not in text
    assert "2025中国城市发展论坛" in body.decode("utf-8")


@pytest.mark.parametrize(
    ("site", "path", "status"),
    [
        ("jingmen", "/xwzx/2017-12/06/content_110.htm", 500),
        ("jingmen", "/xwzx/2017-10/31/content_63.htm", 404),
        ("mayors", "/show-70.html", 410),
        ("portal", "/no/such/page.htm", 404),
    ],
)
def test_status_overrides_and_unknown_paths(
    demo_sites: dict[str, str], site: str, path: str, status: int
) -> None:
    code, headers, body = fetch(demo_sites[site] + path)
    assert code == status
    assert headers["Content-Type"].startswith("text/html")
    assert str(status).encode() in body


def test_redirect_loop_answers_30x_both_ways(demo_sites: dict[str, str]) -> None:
    base = demo_sites["jingmen"]
    a, b = "/xwzx/2017-11/02/content_66.htm", "/xwzx/2017-11/03/content_67.htm"
    status_a, headers_a, _ = fetch(base + a)
    status_b, headers_b, _ = fetch(base + b)
    assert (status_a, headers_a["Location"]) == (301, base + b)
    assert (status_b, headers_b["Location"]) == (302, base + a)


def test_huge_response_has_declared_size(demo_sites: dict[str, str]) -> None:
    (oversized,) = site_expectations("portal")["oversized"]
    url = demo_sites["portal"] + oversized["path"]
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.headers["Content-Length"] == str(oversized["size_bytes"])
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        total = 0
        while chunk := response.read(1 << 20):
            total += len(chunk)
    assert total == oversized["size_bytes"]


def test_client_hanging_up_mid_body_does_not_break_the_server(
    demo_sites: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    url = demo_sites["portal"] + site_expectations("portal")["oversized"][0]["path"]
    with urllib.request.urlopen(url, timeout=10) as response:
        assert len(response.read(4096)) == 4096
    status, _, _ = fetch(demo_sites["portal"] + "/about.html")
    assert status == 200
    assert not [r for r in caplog.records if r.name == "tests.sites.server"]


def test_head_sends_headers_only(demo_sites: dict[str, str]) -> None:
    status, headers, body = fetch(demo_sites["cityinvest"] + "/about.html", method="HEAD")
    assert status == 200
    assert int(headers["Content-Length"]) == len(site_file("cityinvest", "/about.html"))
    assert body == b""


def test_body_prefix_puts_script_junk_before_html(demo_sites: dict[str, str]) -> None:
    path = "/xwzx/2017-12/01/content_102.htm"
    _, _, body = fetch(demo_sites["jingmen"] + path)
    assert body.startswith(b"<script")
    assert body.endswith(site_file("jingmen", path))
    assert body.index(b"<script") < body.index(b"<html>")


def test_query_pages_are_separate_files_and_unknown_queries_fall_back(
    demo_sites: dict[str, str],
) -> None:
    base = demo_sites["mayors"] + "/list-12.html"
    page1 = fetch(base)[2]
    started = time.monotonic()
    page2 = fetch(base + "?page=2")[2]
    elapsed = time.monotonic() - started
    assert page2 == site_file("mayors", "/list-12.html?page=2") != page1
    assert elapsed >= 0.2  # declared delay
    assert fetch(base + "?page=1")[2] == page1
    assert (
        fetch(base + "?from=timeline&page=2")[2] != page1
    )  # parameter order/extras: sorted lookup
    assert fetch(demo_sites["jingmen"] + "/xwzx/list.asp?page=2")[0] == 200


def test_hidden_and_escaping_paths_are_404(demo_sites: dict[str, str]) -> None:
    base = demo_sites["mayors"]
    for path in ("/_site.yaml", "/_expected.yaml", "/list-12.html@page=2", "/../server.py"):
        assert fetch(base + path)[0] == 404, path


def test_directories_redirect_to_slash_and_serve_their_index(demo_sites: dict[str, str]) -> None:
    base = demo_sites["cityinvest"]
    status, headers, _ = fetch(base + "/news")
    assert (status, headers["Location"]) == (301, base + "/news/")
    assert fetch(base + "/news/")[2] == site_file("cityinvest", "/news/index.html")
    assert fetch(base + "/")[2] == site_file("cityinvest", "/index.html")


def test_robots_txt_and_templated_base_url(demo_sites: dict[str, str]) -> None:
    base = demo_sites["mayors"]
    status, headers, body = fetch(base + "/robots.txt")
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(body.decode().splitlines())
    assert not robots.can_fetch("forumwatch", base + "/private/notice-99.html")
    assert robots.can_fetch("forumwatch", base + "/show-88.html")
    assert robots.site_maps() == [base + "/sitemap.xml"]
    sitemap = fetch(base + "/sitemap.xml")[2].decode()
    assert f"<loc>{base}/show-88.html</loc>" in sitemap and "{{base_url}}" not in sitemap


def test_feeds_carry_absolute_urls_of_the_running_server(demo_sites: dict[str, str]) -> None:
    _, headers, rss = fetch(demo_sites["cityinvest"] + "/rss.xml")
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert (
        f"<link>{demo_sites['cityinvest']}/news/202407/t20240726_1234.html</link>" in rss.decode()
    )
    _, headers, atom = fetch(demo_sites["portal"] + "/atom.xml")
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert f'href="{demo_sites["portal"]}/2021-05/23/c_12345.htm"' in atom.decode()


def test_requests_are_recorded_with_user_agent(
    demo_sites: dict[str, str], demo_site_servers: dict[str, SiteServer]
) -> None:
    probe = f"/about.html?probe={uuid.uuid4().hex}"
    request = urllib.request.Request(demo_sites["portal"] + probe, headers={"User-Agent": "ua-x"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    (hit,) = demo_site_servers["portal"].hits(probe)
    assert (hit.method, hit.user_agent) == ("GET", "ua-x")


def test_site_server_stops_with_open_keepalive_connection(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(b"<html>a</html>")
    with SiteServer(tmp_path) as server:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]))
        connection.request("GET", "/a.html")
        assert connection.getresponse().read() == b"<html>a</html>"
        started = time.monotonic()
    assert time.monotonic() - started < 2
    connection.close()


def test_serve_sites_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown site"), serve_sites(["nope"]):
        pass


# --- the committed sites --------------------------------------------------------------------------


def test_site_trees_are_fresh_builds() -> None:
    assert build_sites.stale_files() == [], "run: python -m tests.sites.build_sites"


def test_there_are_five_sites_with_the_seeds() -> None:
    assert SITES == ["cityinvest", "investpromo", "jingmen", "mayors", "portal"]
    seeds = {a["seed"] for s in SITES for a in site_expectations(s)["articles"] if "seed" in a}
    assert seeds == {"000", "001", "002", "003", "004"}


def _decoded(site: str, body: bytes) -> str:
    return html.unescape(body.decode(site_expectations(site)["encoding"], errors="replace"))


def _dates(text: str) -> set[date]:
    found = set()
    for match in _DATE.finditer(text):
        year, month, day = (
            match.group(1),
            match.group(2) or match.group(4),
            match.group(3) or match.group(5),
        )
        try:
            found.add(date(int(year), int(month), int(day)))
        except ValueError:
            continue
    return found


@pytest.mark.parametrize("site", SITES)
def test_articles_show_title_and_date_and_a_later_date_elsewhere(
    demo_sites: dict[str, str], site: str
) -> None:
    articles = site_expectations(site)["articles"]
    newest = max(date.fromisoformat(a["published"]) for a in articles)
    for article in articles:
        status, _, body = fetch(demo_sites[site] + article["path"])
        assert status == 200, article["path"]
        text = _decoded(site, body)
        published = date.fromisoformat(article["published"])
        assert article["title"] in text, article["path"]
        assert published in _dates(text), article["path"]
        if published < newest or site == "jingmen":
            # sidebars, tickers and "today is" headers carry later dates: a trap for extractors
            assert max(_dates(text)) > published, article["path"]


@pytest.mark.parametrize("site", SITES)
def test_declared_paths_answer_as_expected(demo_sites: dict[str, str], site: str) -> None:
    expected = site_expectations(site)
    base = demo_sites[site]
    for path in expected["start_paths"] + expected["not_articles"]:
        assert fetch(base + path, method="HEAD")[0] == 200, path
    for path in expected["attachments"]:
        status, headers, body = fetch(base + path)
        assert status == 200
        assert headers["Content-Type"] in {
            "application/pdf",
            "application/msword",
            "application/vnd.ms-excel",
        }
        assert body[:4] in {b"%PDF", b"\xd0\xcf\x11\xe0"}, path
    for error in expected["errors"]:
        assert fetch(base + error["path"])[0] == error["status"], error["path"]


@pytest.mark.parametrize("site", SITES)
def test_never_fetch_paths_are_robots_disallowed(demo_sites: dict[str, str], site: str) -> None:
    base = demo_sites[site]
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(fetch(base + "/robots.txt")[2].decode().splitlines())
    for path in site_expectations(site)["never_fetch"]:
        assert not robots.can_fetch("forumwatch", base + path), path
        assert fetch(base + path, method="HEAD")[0] == 200  # there, so only robots.txt keeps it out


@pytest.mark.parametrize("site", SITES)
def test_internal_links_resolve_unless_declared_broken(
    demo_sites: dict[str, str], site: str
) -> None:
    expected = site_expectations(site)
    base = demo_sites[site]
    broken = {error["path"] for error in expected["errors"]}
    pages = [a["path"] for a in expected["articles"]] + expected["not_articles"]
    links: set[str] = set()
    for page in pages:
        links |= set(_LINK.findall(html.unescape(fetch(base + page)[2].decode("latin-1"))))
    assert len(links) > 10
    for link in sorted(links - broken):
        assert fetch(base + link, method="HEAD")[0] < 400, link


@pytest.mark.parametrize("site", SITES)
def test_pages_are_realistically_sized(demo_sites: dict[str, str], site: str) -> None:
    expected = site_expectations(site)
    for path in [a["path"] for a in expected["articles"]] + expected["not_articles"]:
        if not build_sites._is_html(path) or path in expected["unsized_pages"]:
            continue
        size = len(fetch(demo_sites[site] + path)[2])
        assert build_sites.PAGE_MIN_BYTES <= size <= build_sites.PAGE_MAX_BYTES, path


# --- the demo config ------------------------------------------------------------------------------


def test_demo_config_lists_every_site_with_its_start_urls(
    tmp_path: Path, demo_sites: dict[str, str]
) -> None:
    path = demo_config(tmp_path, demo_sites, "sqlite:///x.db")
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert config["database"] == "sqlite:///x.db"
    assert config["scrapy_settings"] == {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}
    assert [s["id"] for s in config["sources"]] == SITES
    portal = next(s for s in config["sources"] if s["id"] == "portal")
    assert portal["start_urls"] == [
        demo_sites["portal"] + "/chengshi/index.htm",
        demo_sites["portal"] + "/atom.xml",
    ]
    assert expected_urls("portal", demo_sites["portal"]) >= {
        demo_sites["portal"] + "/2021-05/23/c_12345.htm"
    }


def test_demo_config_validates_against_the_config_model(tmp_path: Path) -> None:
    from crawler.config import load_config

    path = write_demo_config(
        {"mayors": "http://127.0.0.1:1"}, tmp_path / "c.yaml", "sqlite:///d.db"
    )
    config = load_config(path)
    assert config.source("mayors").start_urls == [
        "http://127.0.0.1:1/list-12.html",
        "http://127.0.0.1:1/sitemap.xml",
    ]
