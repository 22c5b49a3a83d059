"""Crawled text is data: control characters removed after entity decoding, script text kept out
of titles, attachment titles plain, and the CLI's views showing markup literally."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from crawler import views
from crawler.analyze.analysis import analyze
from crawler.analyze.normalize import normalize_field, normalize_text, plain_line, strip_controls
from crawler.discover.links import discover, parse_html
from crawler.extract.boilerplate import normalize_line
from crawler.extract.extraction import extract_from_text

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
PARAGRAPH = (
    "11月3日，2024城市更新论坛在杭州举行，来自全国的三百余位嘉宾参加论坛，围绕城市更新展开讨论。"
)
MARKUP = "论坛[/bold][link=http://evil.example/]点此[/link][red]"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("A\x1b]0;pwn\x07B", "A]0;pwnB"),
        ("x\x9b2Jy\x85z", "x2Jyz"),
        ("a\tb\nc\r\n", "a\tb\nc\n"),
        ("论坛\x00\x7f开幕", "论坛开幕"),
    ],
)
def test_strip_controls(raw: str, clean: str) -> None:
    assert strip_controls(raw) == clean


def test_controls_are_removed_after_entities_are_decoded() -> None:
    assert normalize_text("正文&#27;[31m红&#x1b;[0m&#7;").text == "正文[31m红[0m"
    assert normalize_field("张&#27;三&#x9b;") == "张三›"  # C1 references are cp1252, as in browsers
    assert normalize_line("标题\x1b\x07 开幕\x1f") == "标题 开幕"


def test_plain_line_strips_markup_script_and_controls() -> None:
    assert plain_line("<b>附件一</b>：名单&#27;[1m\n.pdf") == "附件一：名单[1m .pdf"
    assert plain_line('论坛<script>document.write("x")</script>开幕') == "论坛 开幕"
    assert plain_line("论坛<script>alert(1)") == "论坛"
    assert plain_line(None) == ""


def page(title: str, body: str = "", head: str = "", heading: str | None = None) -> str:
    return (
        f"<html><head><title>{title}</title>{head}</head><body>"
        f"<h1>{title if heading is None else heading}</h1>"
        f"<div class='content'><p>{PARAGRAPH}</p>{body}<p>{PARAGRAPH}</p></div></body></html>"
    )


def test_character_references_to_controls_are_never_stored() -> None:
    html = page(
        "城市论坛&#27;]0;pwned&#7;开幕",
        "<p>正文&#27;[31m红色&#x9b;2J，论坛进入第二天议程，嘉宾继续发言。</p>"
        '<p><a href="/f/a.pdf">&lt;b&gt;附件&lt;/b&gt;&#27;[5m</a></p>',
        head='<meta name="author" content="张&#27;三"><meta property="og:site_name" content="示例&#7;网">',
    )
    extracted = extract_from_text(html, "http://example.gov.cn/a.html")
    analyzed = analyze(extracted)
    assert analyzed.title == "城市论坛]0;pwned开幕"
    assert analyzed.author == "张三" and analyzed.site_name == "示例网"
    for value in (analyzed.title, analyzed.text, analyzed.author, analyzed.site_name):
        assert not CONTROL.search(value or "")
    assert extracted.attachments == (("http://example.gov.cn/f/a.pdf", "附件[5m"),)


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ('城市发展论坛<script>document.title="坏"</script>开幕', None),
        ("城市发展论坛开幕", '城市发展论坛<script>document.write("写入")</script>开幕'),
        ("城市发展论坛开幕<script>var x = 1;", "城市发展论坛开幕<style>h1{color:red}</style>"),
    ],
)
def test_script_text_never_reaches_titles(title: str, heading: str | None) -> None:
    analyzed = analyze(extract_from_text(page(title, heading=heading), ""))
    assert analyzed.title == "城市发展论坛开幕"


def test_list_page_attachment_titles_are_plain() -> None:
    root = parse_html(
        '<html><body><ul><li><a href="/f/list.pdf" title="&lt;b&gt;附件一&lt;/b&gt;：入选名单">'
        "附件</a></li><li><a href='/f/b.doc'><b>附件二</b>&#27;[2J</a></li></ul></body></html>"
    )
    report = discover(root, "http://example.gov.cn/list.html")
    assert dict(report.attachments) == {
        "http://example.gov.cn/f/list.pdf": "附件一：入选名单",
        "http://example.gov.cn/f/b.doc": "附件二[2J",
    }


def render(function: Any, *args: Any) -> str:
    console = Console(record=True, width=300, force_terminal=False, color_system=None)
    function(console, *args)
    return console.export_text()


def row(**fields: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "id": 1,
        "url": "http://example.gov.cn/[b]a.html",
        "canonical_url": "http://example.gov.cn/a.html",
        "source_id": "src[/i]",
        "title": MARKUP + "\x1b]0;x\x07",
        "text": "正文[/bold]\x1b[31m红",
        "published_on": None,
        "published_at": None,
        "author": "张[/b]三",
        "origin": None,
        "site_name": "示例\x9b网",
        "language": "zh",
        "fetched_at": datetime(2024, 11, 4, tzinfo=UTC),
        "flags": ["spam_injection"],
        "relevant": True,
        "relevance_score": 1.0,
        "topics": [],
        "event_name": None,
        "event_city": None,
        "event_start": None,
        "event_end": None,
        "story_id": None,
    }
    return SimpleNamespace(**{**base, **fields})


def test_views_show_markup_literally_and_drop_controls() -> None:
    article = row()
    attachment = SimpleNamespace(title="[bold]附件\x1b", url="http://x/a.pdf")
    listing = render(views.print_article_table, [article])
    shown = render(views.print_article, article, [attachment], [row(id=2, story_id=None)])
    for output in (listing, shown):
        assert MARKUP in output and "src[/i]" in output
        assert not CONTROL.search(output.replace("\n", ""))
    assert "正文[/bold][31m红" in shown and "张[/b]三" in shown and "[bold]附件" in shown


def test_crawl_summary_errors_are_data() -> None:
    from crawler.crawl.tally import CrawlTally

    tally = CrawlTally(["s[/x]"])
    tally.error("s[/x]", "http://e.example/[/red]\x1b[2J", "HTTP 500 [link=x]")
    result = SimpleNamespace(tally=tally, finish_reason="finished")
    source = SimpleNamespace(id="s[/x]")
    output = render(views.print_crawl_summary, [source], result)
    assert "http://e.example/[/red][2J (HTTP 500 [link=x])" in output
    assert not CONTROL.search(output.replace("\n", ""))


def test_json_lines_escape_every_control_character() -> None:
    line = views.json_line({"title": "a\x1b\x9b\u2028b"})
    assert not CONTROL.search(line) and "\u2028" not in line
    assert json.loads(line) == {"title": "a\x1b\x9b\u2028b"}
