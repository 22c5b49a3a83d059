"""Pages, documents and garbage: ``crawler.extract.content`` sniffing and the extraction's own refusal of
binary content."""

from __future__ import annotations

import codecs
import gzip
import io
import random
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.crawl.article_builder import build_article
from crawler.crawl.items import ArticleItem, NotPageItem, PageItem
from crawler.extract.content import NOT_A_PAGE, is_document, is_page, looks_like_text
from crawler.extract.extraction import extract_article, is_garbage

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
TEXT = "城市更新论坛在杭州举行，来自全国的三百余位嘉宾参加论坛。" * 40
TRADITIONAL = "城市發展論壇在臺北舉行，來自全國的三百餘位嘉賓參加論壇。" * 40


def noise(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    return buffer.getvalue()


def page(text: str = TEXT, charset: str = "utf-8") -> bytes:
    return f'<html><head><meta charset="{charset}"></head><body><p>{text}</p></body></html>'.encode(
        charset
    )


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.html")), ids=lambda p: p.name)
def test_fixture_pages_are_pages(path: Path) -> None:
    assert is_page("text/html", path.read_bytes())
    assert is_page(None, path.read_bytes())


@pytest.mark.parametrize(
    "body",
    [
        page(),
        page(charset="gbk"),
        page(TRADITIONAL, charset="big5"),
        TEXT.encode("gb18030"),  # no markup, no charset
        TRADITIONAL.encode("big5"),
        page(charset="gbk")[:300] + b"\xff\x80\xfe" + page(charset="gbk")[300:],  # stray bytes
        codecs.BOM_UTF16_LE + "<html><p>论坛</p></html>".encode("utf-16-le"),
        page().replace(b"<p>", b"<p>\x0b\x1a", 3),  # a Word paste's vertical tab, a DOS EOF
        b"",
    ],
    ids=[
        "utf8",
        "gbk",
        "big5",
        "bare-gbk",
        "bare-big5",
        "stray",
        "utf16-bom",
        "odd-controls",
        "empty",
    ],
)
def test_text_pages_are_pages(body: bytes) -> None:
    assert is_page("text/html", body)


@pytest.mark.parametrize(
    ("body", "document"),
    [
        (noise(90_000), False),
        (bytes(b for b in noise(20_000) if b >= 0x20), False),  # random, but no control bytes
        (b"\x7fELF\x02\x01\x01\x00" + noise(4096), False),
        (gzip.compress(page()), False),
        (b"\xfd7zXZ\x00" + noise(100), False),
        (b"SQLite format 3\x00" + noise(100), False),
        (b"%PDF-1.7\n" + noise(100), True),
        (b"  \n%PDF-1.4", True),
        (zipped(), True),
        (b"\x89PNG\r\n\x1a\n" + noise(100), True),
        (b"\xff\xd8\xff\xe0" + noise(100), True),
        (b"\x00\x00\x00\x18ftypmp42" + noise(100), True),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + noise(100), True),
        (b"<html><body>" + noise(20_000), False),  # a little markup does not make a page
    ],
    ids=[
        "random", "random-printable", "elf", "gzip", "xz", "sqlite", "pdf", "pdf-after-space",
        "zip", "png", "jpeg", "mp4", "webp", "markup-then-noise",
    ],
)  # fmt: skip
def test_binary_bodies_are_no_pages(body: bytes, document: bool) -> None:
    assert not is_page("text/html", body)
    assert not is_page(None, body)
    assert is_document("text/html", body) is document


def test_content_type_decides_for_documents() -> None:
    assert not is_page("application/pdf", page())
    assert is_document("application/pdf", b"")
    assert is_page("application/octet-stream", page())  # a page mislabelled, markup shows
    assert not is_page("application/octet-stream", noise(5000))
    assert not is_page("text/plain", b"just some words")
    assert is_document("text/plain", b"just some words")  # a text file, not garbage
    assert not is_document("text/plain", noise(5000))
    assert is_page("text/plain", page())


def test_declared_charset_is_tried() -> None:
    body = ("ｶ, " * 800).encode("shift_jis")  # lone half-width kana: not GB18030 nor Big5
    assert not looks_like_text(body)
    assert looks_like_text(body, "text/html; charset=shift_jis")


def test_extraction_refuses_binary_content() -> None:
    article = extract_article(noise(50_000), "http://example.gov.cn/a.html")
    assert article.not_page and article.text == ""
    assert not extract_article(page(), "http://example.gov.cn/a.html").not_page
    assert is_garbage("\ufffd\x01\x02abc" * 100)
    assert not is_garbage("正文" * 100 + "\ufffd")


def test_build_article_gives_no_article_for_binary_content() -> None:
    item = PageItem(
        source_id="s",
        url="http://example.gov.cn/a.html",
        request_url="http://example.gov.cn/a.html",
        body=noise(50_000),
        fetched_at=datetime.now(UTC),
    )
    built = build_article(item)
    assert isinstance(built, NotPageItem) and built.reason == NOT_A_PAGE
    item.body = page()
    assert isinstance(build_article(item), ArticleItem)
