"""Hidden blocks: the CSS reader (declarations, selectors, the cascade) and what counts as hidden;
hidden spam is removed from the text and flags the article, hidden chrome is only removed."""

from __future__ import annotations

import pytest
from lxml.html import HtmlElement, document_fromstring

from crawler.analyze.analysis import analyze
from crawler.extract.css import parse_declarations, parse_selector, parse_stylesheet
from crawler.extract.extraction import extract_from_text
from crawler.extract.hidden import PROPERTIES, find_hidden, read_styles

SPAM = "尊龙官网注册送88元"
PARAGRAPH = (
    "11月3日，2024城市更新论坛在杭州举行，来自全国的三百余位嘉宾参加论坛，围绕城市更新与城市"
    "治理展开讨论。多位市长作主旨演讲，论坛发布了城市更新白皮书。"
)


def tree(body: str, style: str = "") -> HtmlElement:
    return document_fromstring(
        f"<html><head><style>{style}</style></head><body>{body}</body></html>"
    )


def hidden_ids(body: str, style: str = "") -> list[str]:
    root = tree(body, style)
    return [h.element.get("id", "?") for h in find_hidden(root, read_styles(root))]


def article(fragment: str, style: str = "") -> tuple[str, list[str], str]:
    """(stored text, flags, hidden text) of an article page holding ``fragment``."""
    page = (
        f"<html><head><title>城市更新论坛开幕</title><style>{style}</style></head><body>"
        f"<h1>城市更新论坛开幕</h1><div class='content'><p>{PARAGRAPH}</p>{fragment}"
        f"<p>{PARAGRAPH}</p></div></body></html>"
    )
    extracted = extract_from_text(page, "http://example.gov.cn/a.html")
    analyzed = analyze(extracted)
    return analyzed.text, analyzed.flags, extracted.hidden_text


def test_declarations_are_read_case_and_space_insensitively() -> None:
    found = parse_declarations(" DISPLAY : None  !IMPORTANT ; Left:-9999PX;/* c */color:red;")
    assert found["display"] == ("none", True)
    assert found["left"] == ("-9999px", False)
    assert found["color"] == ("red", False)


def test_important_declaration_is_not_overridden_by_a_later_one() -> None:
    assert parse_declarations("display:none!important;display:block")["display"][0] == "none"
    assert parse_declarations("display:none;display:block")["display"][0] == "block"


def test_shorthands_that_hide() -> None:
    assert parse_declarations("font: 0/0 a")["font-size"] == ("0", False)
    assert parse_declarations("font: bold 700 14px/1.5 Arial")["font-size"][0] == "14px"
    margins = parse_declarations("margin: 0 0 0 -9999px")
    assert margins["margin-left"][0] == "-9999px" and margins["margin-top"][0] == "0"


@pytest.mark.parametrize(
    ("text", "specificity"),
    [
        (".x", (0, 1, 0)),
        ("#x", (1, 0, 0)),
        ("div.x", (0, 1, 1)),
        ("DIV.a.b", (0, 2, 1)),
        ("#main .x > p", (1, 1, 1)),
        ("*", (0, 0, 0)),
    ],
)
def test_simple_selectors_are_read(text: str, specificity: tuple[int, int, int]) -> None:
    selector = parse_selector(text)
    assert selector is not None and selector.specificity == specificity


@pytest.mark.parametrize("text", ["a:hover", "p::before", "[hidden]", "a + b", "a ~ b", "> a", ""])
def test_selectors_beyond_the_reader_are_skipped(text: str) -> None:
    assert parse_selector(text) is None


def test_stylesheet_reads_screen_media_and_skips_print_and_width_queries() -> None:
    sheet = parse_stylesheet(
        "@charset 'utf-8'; .a{display:none} @media print{.b{display:none}}"
        "@media screen and (max-width:600px){.c{display:none}} @media screen{.d{display:none}}"
        "@font-face{font-family:x} .e{color:red} .f,.g{visibility:hidden}",
        PROPERTIES,
    )
    selectors = {rule.selector.compounds[-1].classes for rule in sheet.rules}
    assert selectors == {frozenset({"a"}), frozenset({"d"}), frozenset({"f"}), frozenset({"g"})}


@pytest.mark.parametrize(
    ("style", "body"),
    [
        ("", '<div id="h" style="display:none">x</div>'),
        ("", '<div id="h" style="Display : NONE ! important">x</div>'),
        ("", '<div id="h" hidden>x</div>'),
        ("", '<div id="h" style="visibility:collapse">x</div>'),
        ("", '<div id="h" style="opacity:0.0">x</div>'),
        ("", '<div id="h" style="font-size:0px">x</div>'),
        ("", '<div id="h" style="position:fixed;right:-200%">x</div>'),
        ("", '<div id="h" style="position:relative;top:-60em">x</div>'),
        ("", '<div id="h" style="text-indent:-10000px">x</div>'),
        ("", '<div id="h" style="margin-left:-3000px">x</div>'),
        ("", '<div id="h" style="transform:translateX(-9999px)">x</div>'),
        ("", '<div id="h" style="position:absolute;clip:rect(0 0 0 0)">x</div>'),
        ("", '<div id="h" style="max-height:0;overflow-y:hidden">x</div>'),
        (".a{display:none}", '<div id="h" class="b a">x</div>'),
        ("#h{visibility:hidden}", '<div id="h">x</div>'),
        ("span.k{opacity:0}", '<span id="h" class="k">x</span>'),
        (".w .k{display:none}", '<div class="w"><p><span id="h" class="k">x</span></p></div>'),
        (".w>.k{display:none}", '<div class="w"><span id="h" class="k">x</span></div>'),
        (".p{position:absolute}.k{left:-5000px}", '<div id="h" class="p k">x</div>'),
    ],
)
def test_hidden_elements_are_found(style: str, body: str) -> None:
    assert hidden_ids(body, style) == ["h"]


@pytest.mark.parametrize(
    ("style", "body"),
    [
        ("", '<div style="display:block;opacity:1;left:-9999px">x</div>'),  # static: no offset
        ("", '<div style="position:absolute;left:-20px">x</div>'),
        ("", '<div style="height:0">x</div>'),  # overflows: visible
        ("", '<div style="height:0;padding-bottom:56%;overflow:hidden">x</div>'),  # video box
        (".x{display:none}.x.on{display:block}", '<div class="x on">x</div>'),
        ("#m .x{display:block}.x{display:none}", '<div id="m"><p class="x">x</p></div>'),
        (".x{display:none}", '<div class="x" style="display:block">x</div>'),
        (".w>.k{display:none}", '<div class="w"><p><span class="k">x</span></p></div>'),
        ("@media print{.x{display:none}}", '<div class="x">x</div>'),
        (".nav{font-size:0}.nav li{font-size:14px}", '<ul class="nav"><li>首页</li></ul>'),
        ("", '<div style="visibility:hidden"><p style="visibility:visible">x</p></div>'),
        ("a:hover .x{display:none}", '<a><span class="x">x</span></a>'),
    ],
)
def test_visible_elements_are_not_hidden(style: str, body: str) -> None:
    assert hidden_ids(body, style) == []


def test_style_elements_for_print_or_small_screens_are_skipped() -> None:
    body = '<div id="h" class="x">x</div>'
    for media in ("print", "screen and (max-width: 600px)"):
        root = document_fromstring(
            f'<html><head><style media="{media}">.x{{display:none}}</style></head>'
            f"<body>{body}</body></html>"
        )
        assert find_hidden(root, read_styles(root)) == []
    root = document_fromstring(
        f'<html><head><style media="Screen">.x{{display:none}}</style></head><body>{body}</body>'
    )
    assert [h.element.get("id") for h in find_hidden(root, read_styles(root))] == ["h"]


def test_important_rule_beats_the_style_attribute() -> None:
    assert hidden_ids(
        '<div id="h" class="x" style="display:block">x</div>', ".x{display:none!important}"
    ) == ["h"]


def test_only_the_outermost_hidden_element_is_reported() -> None:
    body = '<div id="a" style="display:none"><p id="b" hidden>x</p></div>'
    assert hidden_ids(body) == ["a"]


@pytest.mark.parametrize(
    ("style", "fragment"),
    [
        ("", f'<div style="DISPLAY: NONE">{SPAM}</div>'),
        (".gg{display:none}", f'<div class="gg">{SPAM}</div>'),
        ("", f'<div style="position:absolute;left:-9999px"><a href="/x">{SPAM}</a></div>'),
        ("", f'<div style="font-size:0">{SPAM}</div>'),
        ("", f'<div style="opacity:0"><a href="/x">{SPAM}</a></div>'),
        ("", '<div hidden><a href="/x">凱時娛樂官網</a></div>'),  # traditional: normalized
    ],
)
def test_hidden_spam_is_removed_and_flagged(style: str, fragment: str) -> None:
    text, flags, hidden = article(fragment, style)
    assert "尊龙" not in text and "凯时" not in text
    assert "spam_injection" in flags
    assert hidden and "三百余位嘉宾" in text


def test_hidden_menu_is_removed_without_a_flag() -> None:
    text, flags, hidden = article('<div style="display:none">分享到微信朋友圈</div>')
    assert "分享到" not in text and "spam_injection" not in flags and hidden


def test_content_shown_by_a_script_is_kept() -> None:
    """A page whose article starts at opacity 0 (a fade-in): the text is the article."""
    page = (
        "<html><head><title>城市更新论坛开幕</title></head><body><h1>城市更新论坛开幕</h1>"
        f'<div class="content" style="opacity:0">{f"<p>{PARAGRAPH}</p>" * 5}</div>'
        "</body></html>"
    )
    assert "三百余位嘉宾" in extract_from_text(page, "").text


def test_visible_spam_is_still_flagged() -> None:
    text, flags, _ = article(f"<p>{SPAM}</p>")
    assert "spam_injection" in flags and "尊龙" in text


def test_the_hiding_screen_finds_every_form_it_must_and_skips_ordinary_rules() -> None:
    """The text screen in front of the CSS parser lets through every declaration that can hide
    (any case, spacing, units) and drops the common ones that cannot, with offsets kept even
    when lower-casing would lengthen the text."""
    from crawler.extract.css import scan_text
    from crawler.extract.hidden import HIDING_HINT

    hiding = [
        "DISPLAY : NONE",
        "visibility:collapse",
        "opacity: .0",
        "font-size:0px",
        "font: 0/0 a",
        "position:absolute; LEFT: -9999px",
        "text-indent:-10em",
        "margin: 0 0 0 -3000px",
        "transform: translateX(-200%)",
        "clip: rect(0 0 0 0)",
        "height:0; overflow:hidden",
        "max-width: 0",
    ]
    ordinary = [
        "margin:0 auto",
        "list-style:none",
        "text-decoration: none",
        "overflow:hidden",
        "font-size:10px",
        "font: 12px/1.5 arial",
        "width: 100px",
        "height:0.5em",
        "border-top:1px solid #000",
    ]
    for style in hiding:
        assert HIDING_HINT.search(scan_text(style)), style
    for style in ordinary:
        assert not HIDING_HINT.search(scan_text(style)), style
    odd = "\u0130 DISPLAY:NONE"
    assert len(scan_text(odd)) == len(odd) and HIDING_HINT.search(scan_text(odd))
