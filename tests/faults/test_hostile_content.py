"""Hostile content (issue 7, items 5-7): crawled text is data, hidden spam is flagged, binary
bytes are no article.

One loopback site serves a list page whose articles carry rich markup in titles, ESC/BEL written
as character references, script text in ``<title>`` and headings, gambling spam hidden in every
common way, and random or executable bytes labelled ``text/html``. The real CLI crawls it once
(module fixture); each test then reads the database or runs a read-only command on it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.hostile import HostileSite, Reply, crawl, html, source, write_config
from tests.fixtures_sites import parse_crawl_summary, run_cli

MARKUP_TITLE = "城市更新论坛开幕[/bold][link=http://evil.example/]点此[/link][red]"
SPAM = "尊龙官网注册送88元"
MENU = "分享到微信朋友圈"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TERMINAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # newline and tab are fine
PARAGRAPH = (
    "11月3日，2024城市更新论坛在杭州举行，来自全国的三百余位嘉宾参加论坛，围绕城市更新与城市"
    "治理展开讨论。多位市长作主旨演讲，论坛发布了城市更新白皮书，并就老旧小区改造达成共识。"
)
# Every way a hacked page hides its spam: (name, style block, the element that holds the spam).
HIDDEN_FORMS = [
    ("display_upper", "", f'<div style="DISPLAY : NONE">{SPAM}</div>'),
    ("visibility", "", f'<div style="visibility:hidden">{SPAM}</div>'),
    ("hidden_attribute", "", f"<div hidden>{SPAM}</div>"),
    ("class_rule", ".gg{ display:none }", f'<div class="gg">{SPAM}</div>'),
    ("id_rule", "#x9 {visibility: hidden}", f'<p id="x9">{SPAM}</p>'),
    ("tag_class_important", "DIV.Lk{display:none !important}", f'<div class="Lk">{SPAM}</div>'),
    ("left_off", "", f'<div style="position:absolute;left:-9999px">{SPAM}</div>'),
    ("top_off", "", f'<div style="position: absolute; top: -1000px">{SPAM}</div>'),
    ("text_indent", "", f'<div style="text-indent:-9999px">{SPAM}</div>'),
    ("font_size_0", "", f'<div style="font-size:0">{SPAM}</div>'),
    ("height_0", "", f'<div style="height:0;overflow:hidden">{SPAM}</div>'),
    ("opacity_0", "", f'<div style="opacity:0">{SPAM}</div>'),
    ("offscreen_rule", ".s{position:absolute;top:-999em}", f'<span class="s">{SPAM}</span>'),
]


def page(
    title: str,
    body: str,
    *,
    head: str = "",
    heading: str | None = None,
    style: str = "",
) -> str:
    return (
        f'<html><head><meta charset="utf-8"><title>{title}</title>{head}'
        f"<style>{style}</style></head><body>"
        f"<h1>{heading if heading is not None else title}</h1>"
        '<div class="info">发布时间：2024-11-04 来源：示例市人民政府</div>'
        f'<div class="content"><p>{PARAGRAPH}</p>{body}<p>{PARAGRAPH}</p></div></body></html>'
    )


@dataclass
class Article:
    path: str
    headline: str
    reply: Reply


def articles() -> list[Article]:
    found = [
        Article(
            "/news/t20241104_1001.html", "标题含富文本标记的文章", html(page(MARKUP_TITLE, ""))
        ),
        Article(
            "/news/t20241104_1002.html",
            "标题含控制字符的文章一篇",
            html(
                page(
                    "城市论坛&#27;]0;pwned&#7;开幕",
                    "<p>正文&#27;[31m红色&#27;[0m与&#x9b;2J字样，论坛进入第二天议程。</p>"
                    '<p><a href="/files/plan.pdf">&lt;b&gt;附件&lt;/b&gt;：规划&#27;[5m.pdf</a></p>',
                    head='<meta name="author" content="张&#27;三&#7;">'
                    '<meta property="og:site_name" content="示例市&#7;人民政府">',
                    heading="城市论坛&#27;]0;pwned&#7;开幕",
                )
            ),
        ),
        Article(
            "/news/t20241104_1003.html",
            "标题里写了脚本的文章",
            html(
                page(
                    '城市发展论坛<script>document.title="脚本标题"</script>开幕',
                    "",
                    heading='城市发展论坛<script>document.write("写入的文字")</script>开幕',
                )
            ),
        ),
        Article(
            "/news/t20241104_1004.html",
            "隐藏的分享菜单不是垃圾",
            html(page("城市治理论坛召开", f'<div style="display:none">{MENU}</div>')),
        ),
    ]
    for number, (name, style, element) in enumerate(HIDDEN_FORMS, start=1100):
        title = f"城市论坛隐藏方式{name}"
        found.append(
            Article(
                f"/news/t20241104_{number}.html",
                f"隐藏垃圾链接测试文章{name}",
                html(page(title, element, style=style)),
            )
        )
    return found


BINARY = {
    "/news/t20241104_2001.html": os.urandom(90_000),
    "/news/t20241104_2002.html": b"\x7fELF\x02\x01\x01\x00" + os.urandom(20_000),
}


def list_page(entries: list[Article]) -> str:
    items = "".join(f'<li><a href="{a.path}">{a.headline}</a></li>' for a in entries)
    binary = "".join(
        f'<li><a href="{path}">二进制内容冒充的网页{i}号</a></li>' for i, path in enumerate(BINARY)
    )
    attachment = '<li><a href="/files/list.pdf" title="<b>附件一</b>&#27;[1m：名单">附件</a></li>'
    return (
        '<html><head><meta charset="utf-8"><title>新闻</title></head><body>'
        f'<ul class="list">{items}{binary}{attachment}</ul></body></html>'
    )


@dataclass
class Crawled:
    site: HostileSite
    config: Path
    db: Path
    summary: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp_path = tmp_path_factory.mktemp("hostile_content")
    entries = articles()
    routes = {"/list.html": lambda _: html(list_page(entries))}
    routes.update({a.path: (lambda _, reply=a.reply: reply) for a in entries})
    routes.update(
        {
            path: (lambda _, body=body: Reply(body=body, content_type="text/html"))
            for path, body in BINARY.items()
        }
    )
    routes["/files/*"] = lambda _: Reply(body=b"%PDF-1.4\n", content_type="application/pdf")
    with HostileSite(routes) as site:
        config = write_config(tmp_path, [source("hostile", site.url("/list.html"))])
        result = crawl(config)
        assert result.returncode == 0, result.stderr
        yield Crawled(site, config, tmp_path / "fw.db", result)


def rows(db: Path, query: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return list(connection.execute(query, args))


def stored(crawled: Crawled) -> dict[str, dict[str, object]]:
    """Stored articles by URL path."""
    found = rows(
        crawled.db,
        "SELECT id, url, title, text, author, site_name, origin, flags FROM articles",
    )
    keys = ("id", "url", "title", "text", "author", "site_name", "origin", "flags")
    return {
        "/" + str(row[1]).split("/", 3)[3]: {
            **dict(zip(keys, row, strict=True)),
            "flags": json.loads(str(row[7])),
        }
        for row in found
    }


def assert_clean_output(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MarkupError" not in result.stderr and "Traceback" not in result.stderr
    for stream in (result.stdout, result.stderr):
        assert not TERMINAL.search(stream), repr(TERMINAL.findall(stream))


def test_markup_and_control_characters_are_shown_as_data(crawled: Crawled) -> None:
    """Item 5. Scenario: titles hold rich markup (``[/bold][link=...]``), titles, bodies, author
    and site name hold ESC/BEL/CSI written as character references, an attachment's link text
    holds escaped markup. Pass: `articles`, `stories`, `show`, `explain` and `sources` exit 0
    with the markup shown literally and no control character in their output, nor in the
    database; JSON output parses and carries the markup title unchanged."""
    articles_by_path = stored(crawled)
    markup = articles_by_path["/news/t20241104_1001.html"]
    assert markup["title"] == MARKUP_TITLE
    controlled = articles_by_path["/news/t20241104_1002.html"]
    assert controlled["title"] == "城市论坛]0;pwned开幕"
    assert controlled["author"] == "张三" and controlled["site_name"] == "示例市人民政府"
    for article in articles_by_path.values():
        for field in ("title", "text", "author", "site_name", "origin"):
            assert not CONTROL.search(str(article[field] or "")), (field, article[field])
    titles = [str(t) for (t,) in rows(crawled.db, "SELECT title FROM attachments")]
    assert titles and all(not CONTROL.search(t) and "<b>" not in t for t in titles), titles
    assert "附件：规划[5m.pdf" in titles and "附件一[1m：名单" in titles

    listing = run_cli(crawled.config, "articles", "--limit", "100")
    assert_clean_output(listing)
    assert MARKUP_TITLE in listing.stdout
    assert_clean_output(run_cli(crawled.config, "stories", "--limit", "100"))
    assert_clean_output(run_cli(crawled.config, "sources"))
    for article in (markup, controlled):
        shown = run_cli(crawled.config, "show", str(article["id"]))
        assert_clean_output(shown)
        assert str(article["title"]) in shown.stdout
        assert_clean_output(run_cli(crawled.config, "explain", str(article["id"])))
    shown = run_cli(crawled.config, "show", str(controlled["id"]))
    assert "附件：规划[5m.pdf" in shown.stdout and "<b>" not in shown.stdout
    as_json = run_cli(crawled.config, "articles", "--json", "--limit", "100")
    assert_clean_output(as_json)
    titles_json = {json.loads(line)["title"] for line in as_json.stdout.splitlines()}
    assert MARKUP_TITLE in titles_json


def test_script_text_never_reaches_titles(crawled: Crawled) -> None:
    """Item 5. Scenario: ``<title>`` and ``<h1>`` hold ``<script>`` blocks (document.title,
    document.write). Pass: the stored title is the visible words only."""
    article = stored(crawled)["/news/t20241104_1003.html"]
    assert article["title"] == "城市发展论坛开幕"
    assert "document" not in str(article["text"]) and "写入的文字" not in str(article["text"])


@pytest.mark.parametrize("form", [name for name, _, _ in HIDDEN_FORMS])
def test_hidden_spam_is_removed_and_flagged(crawled: Crawled, form: str) -> None:
    """Item 6. Scenario: gambling spam hidden by an inline style in any case and spacing, the
    ``hidden`` attribute, a ``<style>`` rule on a class, id or tag.class (``!important``), an
    off-screen position, ``text-indent``, ``font-size:0``, ``height:0;overflow:hidden`` or
    ``opacity:0``. Pass: the spam is not in the stored text and the article is flagged
    ``spam_injection``; the visible article text is kept."""
    number = 1100 + [name for name, _, _ in HIDDEN_FORMS].index(form)
    article = stored(crawled)[f"/news/t20241104_{number}.html"]
    assert "尊龙" not in str(article["text"])
    assert "spam_injection" in article["flags"]  # type: ignore[operator]
    assert "三百余位嘉宾" in str(article["text"])


def test_hidden_text_that_is_not_spam_is_only_removed(crawled: Crawled) -> None:
    """Item 6. Scenario: a hidden share menu. Pass: its text is not stored, no spam flag."""
    article = stored(crawled)["/news/t20241104_1004.html"]
    assert MENU not in str(article["text"])
    assert "spam_injection" not in article["flags"]  # type: ignore[operator]


def test_binary_bytes_served_as_html_are_counted_not_stored(crawled: Crawled) -> None:
    """Item 7. Scenario: random bytes and an ELF executable served as ``text/html`` behind
    article links. Pass: no article, no attachment for them; each counted as failed with
    "not a page (binary content)" in the crawl summary and remembered in ``crawled_urls``
    (state error, retried with back-off), so the next crawl does not fetch them again."""
    paths = set(stored(crawled))
    assert not paths & set(BINARY)
    summary = parse_crawl_summary(crawled.summary.stdout)
    assert int(summary["hostile"]["failed"]) == len(BINARY)
    assert crawled.summary.stdout.count("not a page (binary content)") == len(BINARY)
    remembered = rows(
        crawled.db,
        "SELECT canonical_url, state, last_error FROM crawled_urls WHERE last_error LIKE ?",
        "not a page%",
    )
    assert {str(url).split("/", 3)[3] for url, _, _ in remembered} == {
        path.lstrip("/") for path in BINARY
    }
    assert all(state == "error" for _, state, _ in remembered)
    attachments = {str(u) for (u,) in rows(crawled.db, "SELECT url FROM attachments")}
    assert not any(path in url for url in attachments for path in BINARY)

    again = crawl(crawled.config)
    assert again.returncode == 0, again.stderr
    hits = crawled.site.paths()
    assert all(hits.count(path) == 1 for path in BINARY), hits


def test_extract_refuses_binary_files(tmp_path: Path) -> None:
    """Item 7. Scenario: `forumwatch extract` on an ELF file, a gzipped page and random bytes.
    Pass: ``error: FILE: not an HTML page (binary content)`` for each, exit 1 when every input
    fails, exit 0 when one input is a page; ``--json`` gives an error record per bad input."""
    elf = tmp_path / "tool"
    elf.write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    gz = tmp_path / "page.html.gz"
    gz.write_bytes(gzip.compress(page("城市更新论坛开幕", "").encode("utf-8")))
    noise = tmp_path / "noise.html"
    noise.write_bytes(os.urandom(50_000))
    good = tmp_path / "good.html"
    good.write_text(page("城市更新论坛开幕", ""), encoding="utf-8")
    config = write_config(tmp_path, [source("unused", "http://127.0.0.1:9/")])

    result = run_cli(config, "extract", str(elf), str(gz), str(noise))
    assert result.returncode == 1
    for path in (elf, gz, noise):
        assert f"error: {path}: not an HTML page (binary content)" in result.stderr
    assert "论坛" not in result.stdout

    mixed = run_cli(config, "extract", "--json", str(elf), str(good))
    assert mixed.returncode == 0, mixed.stderr
    records = [json.loads(line) for line in mixed.stdout.splitlines()]
    assert records[0] == {"input": str(elf), "error": "not an HTML page (binary content)"}
    assert records[1]["title"] == "城市更新论坛开幕"
