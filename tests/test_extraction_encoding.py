"""Unit tests for crawler.extract.encoding: Chinese pages decode without mojibake whatever they claim."""

from __future__ import annotations

import codecs

import pytest

from crawler.extract.encoding import decode_html, normalize_codec

TEXT = "城市发展论坛在荆门举行，与会专家围绕绿色发展、产业转型等议题展开研讨。" * 5


def page(charset_meta: str = "") -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">'
    return f"<html><head>{meta if charset_meta else ''}</head><body><p>{TEXT}</p></body></html>"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("x-gbk", "gb18030"),
        ("utf8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("big5", "big5hkscs"),
        ("nonsense", None),
        (None, None),
        ("", None),
    ],
)
def test_normalize_codec(label: str | None, codec: str | None) -> None:
    assert normalize_codec(label) == codec


def test_utf8_page() -> None:
    text, codec = decode_html(page("utf-8").encode("utf-8"))
    assert codec == "utf-8" and TEXT in text


def test_utf8_bom_wins() -> None:
    text, codec = decode_html(codecs.BOM_UTF8 + page().encode("utf-8"), header_charset="gbk")
    assert codec == "utf-8" and text.startswith("<html>")


@pytest.mark.parametrize("header", [None, "gb2312", "utf-8", "iso-8859-1", "windows-1252"])
@pytest.mark.parametrize("meta", ["", "gb2312", "gbk", "utf-8"])
def test_gbk_body_decodes_whatever_is_declared(header: str | None, meta: str) -> None:
    text, codec = decode_html(page(meta).encode("gbk"), header_charset=header)
    assert codec == "gb18030"
    assert TEXT in text and "\ufffd" not in text


@pytest.mark.parametrize("header", [None, "iso-8859-1", "gbk"])
def test_utf8_body_with_wrong_header(header: str | None) -> None:
    text, codec = decode_html(page().encode("utf-8"), header_charset=header)
    assert codec == "utf-8" and TEXT in text


def test_gbk_with_two_stray_bytes_is_not_a_wholesale_fallback() -> None:
    body = page("gb2312").encode("gbk")
    cut = body.index("专家".encode("gbk"))
    body = body[:cut] + b"\xff" + body[cut:]
    cut = body.index("产业".encode("gbk"))
    body = body[:cut] + b"\x80" + body[cut:]
    text, codec = decode_html(body)
    assert codec == "gb18030"
    assert text.count("\ufffd") == 2
    assert "与会专家围绕绿色发展" in text.replace("\ufffd", "")


def test_utf8_with_one_bad_byte_stays_utf8() -> None:
    body = page().encode("utf-8")
    cut = body.index("专家".encode())
    text, codec = decode_html(body[:cut] + b"\xfe" + body[cut:])
    assert codec == "utf-8" and text.count("\ufffd") == 1


def test_gb18030_only_characters() -> None:
    body = page("gb18030").encode("gb18030") + "𠮷".encode("gb18030")
    text, codec = decode_html(body)
    assert codec == "gb18030" and text.endswith("𠮷")


def test_override_wins() -> None:
    body = page("utf-8").encode("gbk")
    assert decode_html(body, header_charset="utf-8", override="gbk")[1] == "gb18030"
    text, codec = decode_html(page().encode("utf-8"), override="gbk")
    assert codec == "gb18030" and TEXT not in text  # the operator asked for it


def test_unknown_override_is_ignored() -> None:
    assert decode_html(page().encode("utf-8"), override="no-such-codec")[1] == "utf-8"


def test_ascii_page_reports_declared_codec() -> None:
    assert decode_html(b"<html>hello</html>", header_charset="gbk") == (
        "<html>hello</html>",
        "gb18030",
    )
    assert decode_html(b"") == ("", "utf-8")


def test_meta_charset_beyond_4kb_is_not_needed() -> None:
    body = ("<!--" + "x" * 5000 + "-->").encode() + page("gbk").encode("gbk")
    assert decode_html(body)[1] == "gb18030"


def test_big5_declared_page() -> None:
    body = page("big5").replace(TEXT, "城市發展論壇在臺北舉行" * 10).encode("big5")
    text, codec = decode_html(body)
    assert codec == "big5hkscs" and "城市發展論壇" in text
