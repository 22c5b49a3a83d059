"""The extraction stage's contract: the public API's shape, never raising, odd inputs, purity."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest

from crawler.extract import extraction
from crawler.extract.extraction import (
    ExtractedArticle,
    extract_article,
    extract_from_text,
    parse_html,
)
from crawler.extract.options import ExtractOptions

PARAGRAPH = (
    "9月11日至12日，首届长江中游城市群协同发展论坛在武汉举行，三省代表围绕产业协作深入交流。"
)
ARTICLE = f"""<html><head><title>城市群论坛在武汉举行_湖北省人民政府</title></head><body>
<h1>城市群论坛在武汉举行</h1><div>发布时间：2023-09-13 15:20 来源：湖北日报</div>
<div id="zoom"><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p>
<p>附件：<a href="files/report.pdf">论坛报告.pdf</a> <a href="/a.jpg">图</a>
<a href="download.jsp?file=list.xlsx">名单</a> <a href="javascript:void(0)">x.doc</a></p></div>
</body></html>"""


def rand_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n\t ",
        b"\x00" * 100,
        rand_bytes(1, 5000),
        rand_bytes(2, 120_000),
        b"<html>",
        b"</body></html>",
        b"<?xml version='1.0' encoding='gb2312'?><html><body>\xb3\xc7\xca\xd0</body></html>",
        b"<html><body>" + b"<div>" * 5000 + "深层嵌套的正文内容".encode() * 20 + b"</div>" * 5000,
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj",
        "<p>\ud800 lone surrogate</p>".encode("utf-8", "surrogatepass"),
    ],
)
def test_never_raises(body: bytes) -> None:
    article = extract_article(body, "http://example.gov.cn/a.html")
    assert isinstance(article, ExtractedArticle)
    assert isinstance(article.text, str) and "\n\n" not in article.text


def test_bad_arguments_do_not_raise() -> None:
    article = extract_article(
        b"<p>x</p>", "not a url", header_charset="bogus", options=ExtractOptions(encoding="bogus")
    )
    assert article.encoding == "utf-8"
    assert extract_from_text("", "").text == ""


def test_a_failing_pass_gives_an_empty_article(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stage's one guard: whatever a hostile page makes lxml or trafilatura raise, one page
    gives an empty article rather than stopping a crawl."""

    def fail(html: str, url: str, codec: str) -> ExtractedArticle:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(extraction, "_extract", fail)
    article = extract_article(ARTICLE.encode("utf-8"), "http://www.hubei.gov.cn/zwgk/c/123.html")
    assert article.text == "" and article.title is None and article.encoding == "utf-8"
    assert extract_from_text(ARTICLE, "").text == ""


def test_api_shape() -> None:
    article = extract_article(ARTICLE.encode("utf-8"), "http://www.hubei.gov.cn/zwgk/c/123.html")
    assert dataclasses.is_dataclass(article)
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.text = ""  # type: ignore[misc]
    assert article.title == "城市群论坛在武汉举行"
    assert article.text.split("\n")[:2] == [PARAGRAPH, PARAGRAPH]
    assert article.published_on is not None and article.published_on.isoformat() == "2023-09-13"
    assert article.published_at is not None and article.published_at.tzinfo == UTC
    assert article.origin == "湖北日报" and article.site_name == "湖北省人民政府"
    assert article.language == "zh" and article.encoding == "utf-8"
    assert article.attachments == (
        ("http://www.hubei.gov.cn/zwgk/c/files/report.pdf", "论坛报告.pdf"),
        ("http://www.hubei.gov.cn/zwgk/c/download.jsp?file=list.xlsx", "名单"),
    )


def test_extract_from_text_reports_unicode() -> None:
    article = extract_from_text(ARTICLE, "http://www.hubei.gov.cn/a.html")
    assert article.encoding == "unicode" and article.title == "城市群论坛在武汉举行"


def test_fragment_and_junk_prefix() -> None:
    fragment = f"<h2>城市群论坛在武汉举行</h2><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p>"
    assert extract_from_text(fragment, "").text == f"{PARAGRAPH}\n{PARAGRAPH}"
    junk = "Warning: mysql_connect() failed in /www/a.php on line 3\n<script>x=1</script>" + ARTICLE
    article = extract_from_text(junk, "")
    assert "Warning" not in article.text and PARAGRAPH in article.text


def test_plain_text_without_tags() -> None:
    assert PARAGRAPH in extract_from_text(PARAGRAPH, "").text


def test_short_page_goes_through_the_trafilatura_fallback() -> None:
    article = extract_from_text("<html><body><p>短讯：论坛开幕。</p></body></html>", "")
    assert isinstance(article.text, str)


def test_hidden_elements_are_not_text() -> None:
    html = ARTICLE.replace(
        "</div>\n</body>", '<p style="display: none">博彩广告隐藏文字</p></div></body>'
    )
    assert "博彩" not in extract_from_text(html, "").text


def test_huge_page_is_bounded() -> None:
    rows = "".join(
        f"<tr><td><a href='/{i}'>链接{i}</a></td><td>{PARAGRAPH}</td></tr>" for i in range(8000)
    )
    started = time.perf_counter()
    article = extract_from_text(f"<html><body><table>{rows}</table></body></html>", "")
    assert time.perf_counter() - started < 30
    assert isinstance(article, ExtractedArticle)


def test_parse_html_handles_empty_and_declarations() -> None:
    assert parse_html("") is None
    assert (
        parse_html("<?xml version='1.0' encoding='utf-8'?><html><body>文</body></html>") is not None
    )


def test_hundred_kb_page_speed() -> None:
    """A loose guard against pathological slowdowns (measured ~20 ms on a 2-core host)."""
    fixture = Path(__file__).parent / "fixtures" / "extraction" / "trs_editor_gov_heavy.html"
    body = fixture.read_bytes()
    extract_article(body, "http://www.changsha.gov.cn/a.html")
    started = time.perf_counter()
    for _ in range(5):
        extract_article(body, "http://www.changsha.gov.cn/a.html")
    assert (time.perf_counter() - started) / 5 < 0.5


def test_stage_imports_neither_scrapy_nor_the_database() -> None:
    code = (
        "import sys, crawler.extract.extraction, crawler.extract.encoding, crawler.extract.language;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('scrapy', 'twisted', 'sqlalchemy', 'sqlmodel', 'storage', 'psycopg')];"
        "print(','.join(bad))"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.strip() == ""
