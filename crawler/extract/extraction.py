"""The extraction stage: page bytes + URL -> a clean article (title, text, dates, origin ...).

Pure and self-contained: imports neither Scrapy nor the database and reads no settings, so it
runs in worker processes and in ``reextract``. The page is decoded by ``crawler.extract.encoding``,
parsed once with lxml, and read in three passes over that one tree:

1. metadata (meta tags, ``<title>``, headings, attachment links) from the intact tree;
2. the rendered lines of the whole page, where the meta line under the title gives the date,
   origin and author;
3. the article text. Comment sections, replies and a page's other posts are removed first
   (``crawler.extract.threads``). The block is chosen by our rules: the CMS's own content
   container when there is one (``xpaths``), else the densest block of paragraphs (a small
   readability-style scorer that handles ``<br>`` and table layouts). trafilatura then cleans
   that block: it reads the (chrome-stripped) page with ``favor_precision`` and tables, and the
   block's lines that its main text holds are the body (comments, link boxes, newsletter and
   share boxes out); it reads the block alone when its main text lies elsewhere, and its
   judgement is ignored when it keeps under 30 % of the block (``<br>`` layouts it cannot
   place). With no block at all, trafilatura extracts from the whole page. Line-level cleanup
   (``crawler.extract.boilerplate``) follows. ``ExtractedArticle.body_source`` records which
   of these made the body. Trees over 40,000 tags are never given to trafilatura. A login or
   error page yields only its message (``crawler.extract.messages``). When no metadata title
   is shown on the page, the headline right above the body is the title.

Reads no settings. Speed: ~15-20 ms per fixture page, about two thirds of it trafilatura.

``extract_article`` never raises: bad input gives an article with empty text.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from configparser import ConfigParser
from copy import copy, deepcopy
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache

import trafilatura
from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring
from trafilatura.settings import DEFAULT_CONFIG

from crawler.analyze.script import HAN
from crawler.analyze.spam import find_spam
from crawler.extract import xpaths
from crawler.extract.boilerplate import (
    Patterns,
    clean_lines,
    get_patterns,
    is_boilerplate_line,
    normalize_line,
)
from crawler.extract.dates import date_from_htmldate, find_publication_date
from crawler.extract.encoding import decode_html
from crawler.extract.hidden import find_hidden, read_styles
from crawler.extract.language import detect_language
from crawler.extract.messages import is_message_page, is_missing_page, message_lines
from crawler.extract.metadata import (
    find_attachments,
    find_author,
    find_bylines,
    find_origin,
    find_site_name,
    find_title,
    heading_texts,
    headline_texts,
    headline_value,
    page_title,
    read_meta,
    site_names,
    visible_headline,
    visible_text,
)
from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions
from crawler.extract.sidebars import in_side_box, is_sidebar
from crawler.extract.threads import drop_replies, poster_line

logger = logging.getLogger(__name__)

DECODED_TEXT_ENCODING = "unicode"  # ExtractedArticle.encoding for extract_from_text()
_MAX_HTML_CHARS = 3_000_000  # longer pages are cut (a news page is 50-150 KB)
_MAX_TAGS = 40_000  # above this, trafilatura is skipped (pathological pages, trafilatura#704)
_TRAFILATURA_MAX_TREE = 5_000
_MIN_SUBSTRING = 6  # a line found inside trafilatura's text must be this long (else: whole)
_CELL_TAGS = frozenset({"td", "th", "tr", "tbody", "thead", "tfoot"})
_MIN_KEPT_SHARE = 0.3  # trafilatura's cleaning is taken when it keeps this share of the block
_MIN_AGREEMENT = 0.5  # ... judged on the whole page when this share of its text is in the block
_MAX_RESTORED_LINK_SHARE = 0.3  # a line trafilatura dropped is put back only below this
_SANDWICH_LINES = 2  # ... and a run of this many dropped lines between kept ones is put back
# ... when each line stands in one of these (not a caption, a widget's <div>/<span>, a form)
_SANDWICH_BLOCKS = frozenset(
    ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "td", "th"]
)
# ... or in any block when it opens with a document's enumeration (十、经费, （三）, 2、, 第五条): a
# section heading of a notice set in one <div> a line
_ENUMERATED = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*、|[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[）)]"
    r"|\d{1,2}\s*[、．](?!\d)|第[一二三四五六七八九十百零\d]{1,4}[章节条款部分])"
)
_LIST_ITEM_BLOCKS = frozenset(["li", "pre", "dd"])
_LIST_RUN_BLOCKS = _SANDWICH_BLOCKS | _LIST_ITEM_BLOCKS
_MIN_LIST_ITEMS = 3  # ... a longer run is put back when it is a list of this many items ...
_LIST_RUN_HEADINGS = 2  # ... with at most this many other lines (its subheadings)
_PROSE_HAN = 15  # a line ending a sentence with this many Han characters is prose ...
_PROSE_WORDS = 8  # ... or with this many words
_SENTENCE_END = re.compile(r"[。！？!?.…][\"'”’」』)）]*$")
_HAN_CHAR = re.compile(f"[{HAN}]")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_MIN_CONTAINER_CHARS = 80  # word characters a content container must hold
_MIN_NOTICE_CHARS = 10  # ... or this many when it is a short notice right under the title
_MIN_PARAGRAPH_CHARS = 10  # a text block shorter than this is not scored as a paragraph
_WIDEN_RATIO = 1.3  # widen the densest block while its parent holds this much more text
_GENERIC_SLACK = 1.5  # a generic container may hold this much more text than the densest block
_TITLE_LEVELS = 4  # ancestors of the title heading searched for the body
_META_SLACK = 60  # chars a title heading may hold beyond the title (a date/source line)
_ANCHOR_OVERRIDE = 3  # the densest block wins over the title's when it holds this much more
_PARAGRAPH_TAGS = frozenset(
    ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt", "figcaption"]
)
_MAX_LINK_DENSITY = 0.4
_CHROME_MAX_CHARS = 1_500  # a chrome-classed element with more unlinked text is kept
_CHROME_PARAGRAPH = 100  # ... and so is one holding a text run this long (a paragraph)
_TITLE_SEARCH_LINES = 4  # the title is looked for (and dropped) among the text's first lines
_PARAGRAPH_CHARS = 60  # ... above any line this long (body has begun)
_MAX_SCRIPT = 20_000  # inline scripts longer than this (libraries) are not searched for dates
_HEAD_WINDOW = 8  # lines after the title searched for the meta line
_BEFORE_TITLE = 3
_BYLINE_BEFORE = 15  # page lines before the body searched for a post's byline ...
_BYLINE_AFTER = 3  # ... and after it
_MAX_HIDDEN_TEXT = 20_000  # chars of hidden text kept for the spam check
_REVEALED_SHARE = 0.6  # a hidden block with this share of the page's letters is its content ...
_REVEALED_MIN_LETTERS = 200  # ... when it holds this many (shown by a script: kept)
_GARBAGE_SAMPLE = 8192  # decoded characters examined for binary content
_GARBAGE_SHARE = 0.1  # random bytes: ~20 % replacement and control characters; pages: ~0
_GARBAGE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_RELATIVE_TIME = re.compile(
    r"^\s*(?:\d+\s*(?:秒|分钟|分鐘|小时|小時|天|周|週|个月|個月)\s*前|半小时前|半小時前|刚刚|剛剛"
    r"|(?:今天|昨天|前天)(?:\s*\d{1,2}\s*[:：]\s*\d{2})?)\s*$"
)
_FULL_DATE = re.compile(r"^(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_MAX_TITLED_DATE = 40
_HTML_START = re.compile(r"<!doctype|<html[\s>]", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
# What a page over the size cut can lose before the cut without losing text: long attribute
# values (inline base64 images pasted by editors, megabytes of them), scripts, styles, comments.
_LONG_ATTRIBUTE = re.compile(r"""=\s*(?:"[^"<>]{1024,}"|'[^'<>]{1024,}')""")
_INERT_BLOCKS = re.compile(
    r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CRUMB_SEPARATORS = re.compile(r"[>»›＞→]")
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_WORD = re.compile(r"\w")
_LETTERS = re.compile(f"[{HAN}A-Za-z]")
# fmt: off
_NON_CONTENT_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "select", "button", "textarea", "input", "map", "head", "video", "audio", "marquee",
)
_BLOCK_TAGS = frozenset({
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table",
    "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "section", "article", "header",
    "footer", "aside", "nav", "blockquote", "pre", "address", "figure", "figcaption", "form",
    "fieldset", "legend", "hr", "center", "main", "details", "summary", "option", "body", "html",
})
# fmt: on
_PARSER = HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=True
)


@dataclass(frozen=True)
class ExtractedArticle:
    """A clean article as the extraction stage returns it."""

    title: str | None
    text: str  # body, one paragraph per line ("\n"-joined), no blank lines
    published_on: date | None  # local calendar date the page states
    published_at: datetime | None  # UTC-aware; only when the page states a time of day
    author: str | None
    origin: str | None  # 来源/文章来源/转自/稿源 value
    site_name: str | None
    language: str | None  # "zh" for Chinese, else a langdetect code
    encoding: str  # codec actually used to decode
    attachments: tuple[tuple[str, str], ...]  # (absolute URL, link text)
    replacement_chars: int = 0  # U+FFFD in the article's text before cleanup dropped them
    hidden_text: str = ""  # text of the hidden blocks removed (for the spam check; not stored)
    not_page: bool = False  # the bytes decoded to garbage (binary content): nothing extracted
    body_source: str = ""  # which part made the body: one of BODY_SOURCES ("" when none did)


# What made an article's body (``ExtractedArticle.body_source``):
BODY_SOURCES = (
    "cms-container",  # a CMS's content container, rendered line by line
    "cms-container+trafilatura",  # ... its lines that trafilatura kept when cleaning it
    "dense-block",  # the densest block of paragraphs, rendered line by line
    "dense-block+trafilatura",  # ... its lines that trafilatura kept when cleaning it
    "trafilatura",  # no container nor dense block: trafilatura on the whole page
    "whole-page",  # ... a page too big for trafilatura: the whole body
    "message-page",  # a login or error page: its message only (``crawler.extract.messages``)
)


def extract_article(
    body: bytes,
    url: str,
    *,
    header_charset: str | None = None,
    options: ExtractOptions = DEFAULT_OPTIONS,
) -> ExtractedArticle:
    """Decode and extract one page (``options.encoding`` forces a codec); never raises (worst
    case: empty text)."""
    try:
        html, codec = decode_html(body, header_charset=header_charset, override=options.encoding)
    except Exception:  # never raise: a codec lookup or a bytes-like oddity
        logger.warning("page could not be decoded", extra={"url": url}, exc_info=True)
        return _empty("utf-8")
    if is_garbage(html):
        logger.warning("not a page (binary content)", extra={"url": url})
        return replace(_empty(codec), not_page=True)
    return _extract_or_empty(html, url, codec)


def is_garbage(text: str) -> bool:
    """Decoded text whose start is largely replacement and control characters: binary content
    that reached extraction (``crawler.extract.content`` should have refused it already)."""
    sample = text[:_GARBAGE_SAMPLE]
    bad = sample.count("\ufffd") + len(_GARBAGE_CONTROL.findall(sample))
    return bad > len(sample) * _GARBAGE_SHARE


def extract_from_text(html: str, url: str) -> ExtractedArticle:
    """Extract from already-decoded HTML; ``encoding`` is reported as ``"unicode"``."""
    return _extract_or_empty(html, url, DECODED_TEXT_ENCODING)


def _extract_or_empty(html: str, url: str, codec: str) -> ExtractedArticle:
    """The one guard of the stage: hostile pages can still make lxml or trafilatura fail (a
    nesting deeper than the recursion limit, a parser error), and one page must not stop a
    crawl or a re-extraction."""
    try:
        return _extract(html, url, codec)
    except Exception:  # worst case is an empty article
        logger.warning("extraction failed", extra={"url": url}, exc_info=True)
        return _empty(codec)


def _empty(codec: str) -> ExtractedArticle:
    return ExtractedArticle(None, "", None, None, None, None, None, None, codec, ())


@dataclass(frozen=True)
class _PageFacts:
    """What is read from the intact tree, before anything is removed from it."""

    meta: dict[str, str]
    jsonld: list[str]
    title: str | None
    title_site: str | None
    login_form: bool  # the page has a password field
    attachments: tuple[tuple[str, str], ...]
    tagged_dates: list[str]
    scripts: list[str]
    tagged_sources: list[str]
    tagged_authors: list[str]


def _read_facts(tree: HtmlElement, url: str) -> _PageFacts:
    meta = read_meta(tree)
    headings, headlines = heading_texts(tree), headline_texts(tree)
    title, title_site = find_title(page_title(tree), meta, headings, headlines)
    return _PageFacts(
        meta=meta,
        jsonld=[str(text) for text in xpaths.JSON_LD(tree)],
        title=title,
        title_site=title_site,
        login_form=bool(xpaths.PASSWORD_FIELDS(tree)),
        attachments=find_attachments(tree, url),
        tagged_dates=_node_texts(xpaths.PUBTIME_NODES(tree)),
        scripts=[str(text) for text in xpaths.INLINE_SCRIPTS(tree) if len(text) < _MAX_SCRIPT],
        tagged_sources=_node_texts(xpaths.SOURCE_NODES(tree)),
        tagged_authors=_node_texts(xpaths.AUTHOR_NODES(tree)),
    )


def _node_texts(elements: list[HtmlElement]) -> list[str]:
    """Text (or datetime/content attribute) of a few marked-up elements."""
    texts = []
    for element in elements[:5]:
        value = element.get("datetime") or element.get("content") or visible_text(element)
        if value and value.strip():
            texts.append(normalize_line(value))
    return texts


def _extract(html: str, url: str, codec: str) -> ExtractedArticle:
    tree = parse_html(html)
    if tree is None:
        return _empty(codec)
    _spell_out_relative_times(tree)
    facts = _read_facts(tree, url)
    hidden_text = _drop_non_content(tree)
    page_lines = render_lines(tree)
    if is_message_page(facts.title):
        return _message_page(facts, page_lines, codec, hidden_text)
    dropped = drop_replies(tree, _title_element(tree, facts.title), render_lines)
    # the meta line and a post's byline are looked for among the lines the page keeps: the next
    # reply's byline is not the post's
    post_lines = render_lines(tree) if dropped.removed else page_lines
    container = find_container(tree, facts.title)
    if container is not None:
        # og:title or <title> names no headline on the page, or one in a sidebar or a list only
        # (stale, SEO-stuffed, the site's name): the headline the reader sees above the body is
        # the title
        headline = visible_headline(tree, container, facts.title, site_names(facts.meta))
        if headline:
            facts = replace(facts, title=headline)
            container = find_container(tree, headline)
    if container is None and (facts.login_form or is_missing_page(page_lines)):
        return _message_page(facts, page_lines, codec, hidden_text)
    poster = _poster(dropped.own_posts, container)
    _drop_chrome(tree, container, get_patterns())
    raw_lines, body_lines, body_source = _body_lines(tree, container, url, facts.attachments)
    head, before = _head_region(post_lines, raw_lines, facts.title)
    bylines = find_bylines([*head, *_around_body(post_lines, raw_lines)])
    text = "\n".join(clean_lines(_drop_title_lines(body_lines, facts.title)))
    found = find_publication_date(
        facts.meta,
        jsonld=facts.jsonld,
        head_lines=[*bylines, *head],
        before_title=before,
        tagged=facts.tagged_dates,
        scripts=facts.scripts,
        page_lines=page_lines,
        url=url,
    )
    language = detect_language(f"{facts.title or ''}\n{text}")
    if found is None:
        # htmldate's turn: metadata the rules do not know, <time>, European formats
        found = date_from_htmldate(html, url, markup_only=language == "zh")
    return ExtractedArticle(
        title=facts.title,
        text=text,
        published_on=found.day if found else None,
        published_at=found.at if found else None,
        author=find_author(
            facts.meta, [*head, *facts.tagged_authors], raw_lines, bylines, poster=poster
        ),
        origin=find_origin(facts.meta, head, raw_lines, tagged=facts.tagged_sources),
        site_name=find_site_name(facts.meta, facts.title_site, page_lines),
        language=language,
        encoding=codec,
        attachments=facts.attachments,
        replacement_chars=_replacement_chars(container, facts.title),
        hidden_text=hidden_text,
        body_source=body_source,
    )


def _poster(own_posts: Sequence[HtmlElement], container: HtmlElement | None) -> str | None:
    """The poster named in the cell beside the body of the forum post that holds it."""
    if container is None:
        return None
    for post in own_posts:
        if _within(container, post):
            return poster_line(post, render_lines)
    return None


def _spell_out_relative_times(tree: HtmlElement) -> None:
    """Replace a relative time (``3 天前``, ``前天 09:02``, ``半小时前``) by the full date its
    element's title attribute states (``<span title="2013-5-4 21:35">``): forums show recent
    posts so, and the post's date is then only in the attribute."""
    for element in xpaths.TITLED_INLINE(tree):
        if len(element) or not _RELATIVE_TIME.match(element.text or ""):
            continue
        stated = element.get("title", "").strip()
        if len(stated) <= _MAX_TITLED_DATE and _FULL_DATE.match(stated):
            element.text = stated


def _message_page(
    facts: _PageFacts, page_lines: list[str], codec: str, hidden_text: str
) -> ExtractedArticle:
    """A login or error page (``crawler.extract.messages``): its message, no date nor byline."""
    text = "\n".join(clean_lines(message_lines(page_lines, facts.title)))
    return replace(
        _empty(codec),
        title=facts.title,
        text=text,
        site_name=find_site_name(facts.meta, facts.title_site, page_lines),
        language=detect_language(f"{facts.title or ''}\n{text}"),
        attachments=facts.attachments,
        hidden_text=hidden_text,
        body_source="message-page",
    )


def _replacement_chars(container: HtmlElement | None, title: str | None) -> int:
    """U+FFFD characters in the article (the line cleanup drops them; the flags need them)."""
    text = container.text_content() if container is not None else ""
    return text.count("\ufffd") + (title or "").count("\ufffd")


def parse_html(html: str) -> HtmlElement | None:
    """Parse (possibly junk-prefixed, fragmentary) HTML into a document tree, or None.

    A page over ``_MAX_HTML_CHARS`` first loses its long attribute values, scripts, styles and
    comments, so that text behind a pasted multi-megabyte inline image survives the cut. Nesting
    is allowed to libxml2's huge-tree depth (2,048 levels, not 256): old pages with unclosed
    ``<div>``/``<font>`` tags nest deep."""
    if len(html) > _MAX_HTML_CHARS:
        html = _INERT_BLOCKS.sub("", _LONG_ATTRIBUTE.sub('=""', html))
    html = html[:_MAX_HTML_CHARS]
    start = _HTML_START.search(html)
    if start and start.start() > 0:
        html = html[start.start() :]
    html = _CONTROL.sub("", _XML_DECLARATION.sub("", html))
    if not html.strip():
        return None
    try:
        tree = document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    return tree if isinstance(tree, HtmlElement) else None


def _drop_non_content(tree: HtmlElement) -> str:
    """Remove scripts, styles, form controls and hidden elements (keeping their tails); returns
    the text of the hidden elements (``crawler.extract.hidden``) for the spam check."""
    styles = read_styles(tree)
    etree.strip_elements(tree, *_NON_CONTENT_TAGS, with_tail=False)
    found = find_hidden(tree, styles)
    if not found:
        return ""
    body = xpaths.BODY(tree)
    page_letters = len(_LETTERS.findall((body[0] if body else tree).text_content()))
    texts: list[str] = []
    for hidden in found:
        element = hidden.element
        if element.getparent() is None or _holds_the_page(element, page_letters):
            continue
        texts.extend(render_lines(element))
        element.drop_tree()
    return "\n".join(texts)[:_MAX_HIDDEN_TEXT]


def _holds_the_page(element: HtmlElement, page_letters: int) -> bool:
    """A hidden block with most of the page's text, no link list and no spam: a page that shows
    its content by script (kept, or the article would be lost)."""
    text = element.text_content()
    letters = len(_LETTERS.findall(text))
    return (
        letters >= _REVEALED_MIN_LETTERS
        and letters >= page_letters * _REVEALED_SHARE
        and _content_chars(element) > 0
        and not find_spam(text)
    )


def render_lines(root: HtmlElement) -> list[str]:
    """Text of ``root`` with one line per block element or ``<br>``, whitespace collapsed."""
    parts: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _BLOCK_TAGS or tag == "br":
                parts.append("\n")
            if element.text and tag:
                parts.append(element.text)
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if element.tail and element is not root:
                parts.append(element.tail)
    lines = (normalize_line(line) for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def find_container(tree: HtmlElement, title: str | None = None) -> HtmlElement | None:
    """The article's container: a CMS's own one if it holds enough unlinked text, else the
    densest block of paragraphs near the title (a generic ``<article>``/``.content`` that wraps
    it closely).
    """
    candidates = xpaths.CONTAINER_CANDIDATES(tree)
    for rule in xpaths.CONTENT_CONTAINERS:
        found = _best_match([el for el in candidates if _matches(el, rule)])
        if found is not None:
            return found
    body = xpaths.BODY(tree)
    blocks = _paragraph_blocks(body[0] if body else tree)
    heading = _title_element(tree, title)
    notice = _short_notice(candidates, heading, blocks)
    if notice is not None:
        return notice
    densest = _densest(blocks, heading)
    if densest is not None and in_side_box(densest):
        # a block in a side box is the article only when nothing outside comes near it
        outside = {block: chars for block, chars in blocks.items() if not in_side_box(block)}
        elsewhere = _densest(outside, heading)
        if elsewhere is not None and not _dwarfs(densest, elsewhere, blocks):
            densest = elsewhere
    if heading is not None and in_side_box(heading, in_lists=True, article=densest):
        heading = None  # a stale or SEO title that names a sidebar's or a list's heading
    anchored = _title_anchored_block(blocks, heading)
    if anchored is not None and (densest is None or not _dwarfs(densest, anchored, blocks)):
        densest = anchored
    if densest is None:
        return None
    for rule in xpaths.GENERIC_CONTAINERS:
        for wrapper in reversed([densest, *densest.iterancestors()]):
            if (
                _matches(wrapper, rule)
                and _content_chars(wrapper) >= _MIN_CONTAINER_CHARS
                and _wraps(wrapper, densest)
            ):
                return wrapper
    return densest


def _short_notice(
    candidates: list[HtmlElement],
    heading: HtmlElement | None,
    blocks: dict[HtmlElement, int],
) -> HtmlElement | None:
    """A CMS's own content container too short to be trusted anywhere (``具体见附件。`` of a
    government notice whose body is its attachment) when it follows the title's heading in the
    same region of the page and no paragraph after it there holds more text."""
    if heading is None:
        return None
    regions = list(heading.iterancestors())[:_TITLE_LEVELS]
    for rule in xpaths.CONTENT_CONTAINERS:
        matched = [el for el in candidates if _matches(el, rule)]
        members = set(matched)
        for element in matched:
            if _inside_any(element, members) or _within(heading, element):
                continue
            chars = _content_chars(element)
            if not _MIN_NOTICE_CHARS <= chars < _MIN_CONTAINER_CHARS:
                continue
            region = next((r for r in regions if _within(element, r)), None)
            if region is None or region.tag in ("body", "html") or not _follows(element, heading):
                continue
            # the meta line stands between the heading and the body; a longer text after it
            # in the region would be the article
            outside = [
                count
                for block, count in blocks.items()
                if _within(block, region) and _follows(block, element)
            ]
            if all(count <= chars for count in outside):
                return element
    return None


def _follows(element: HtmlElement, heading: HtmlElement) -> bool:
    """``element`` comes after ``heading`` in document order."""
    for node in heading.itersiblings():
        if _within(element, node):
            return True
    parent = heading.getparent()
    return parent is not None and parent is not element and _follows(element, parent)


def _title_anchored_block(
    blocks: dict[HtmlElement, int], heading: HtmlElement | None
) -> HtmlElement | None:
    """The densest block inside the nearest ancestor of the title's heading that holds enough
    paragraph text besides the heading: a short article wins over a wordier sidebar or footer."""
    if heading is None:
        return None
    region = heading.getparent()
    for _ in range(_TITLE_LEVELS):
        if region is None or region.tag in ("body", "html"):
            return None
        inside = {
            block: chars
            for block, chars in blocks.items()
            if _within(block, region) and not _within(block, heading)
        }
        found = _densest(inside, heading)
        if found is not None:
            return found
        region = region.getparent()
    return None


def _title_element(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The heading that states the title (exactly, or followed by a short meta line)."""
    if not title:
        return None
    target = _squash(title)
    near: HtmlElement | None = None
    for element in xpaths.HEADINGS(tree):
        text = _squash(headline_value(_squash(element.text_content())))
        if text == target:
            return element
        if near is None and text.startswith(target) and len(text) <= len(target) + _META_SLACK:
            near = element
    return near


def _within(element: HtmlElement, ancestor: HtmlElement) -> bool:
    return element is ancestor or any(node is ancestor for node in element.iterancestors())


def _block_total(element: HtmlElement, blocks: dict[HtmlElement, int]) -> int:
    return sum(chars for block, chars in blocks.items() if _within(block, element))


def _dwarfs(densest: HtmlElement, anchored: HtmlElement, blocks: dict[HtmlElement, int]) -> bool:
    """The page's densest block holds far more text than the title's: the title is elsewhere
    (a header box with a summary) and the body is the densest block."""
    if _within(anchored, densest):
        return False
    return _block_total(densest, blocks) > _block_total(anchored, blocks) * _ANCHOR_OVERRIDE


def _matches(element: HtmlElement, rule: xpaths.ContainerRule) -> bool:
    if element.tag in rule.tags or element.get("itemprop") in rule.itemprops:
        return True
    classes = element.get("class") or ""
    if rule.names and (
        element.get("id") in rule.names or not rule.names.isdisjoint(classes.split())
    ):
        return True
    return any(marker in classes for marker in rule.class_substrings)


def _best_match(candidates: list[HtmlElement]) -> HtmlElement | None:
    members = set(candidates)
    outermost = [el for el in candidates if not _inside_any(el, members)]
    scored = [(_content_chars(el), el) for el in outermost]
    scored = [(chars, el) for chars, el in scored if chars >= _MIN_CONTAINER_CHARS]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


def _wraps(container: HtmlElement, densest: HtmlElement) -> bool:
    """The container holds the densest block and not much more text besides."""
    if container is not densest and container not in densest.iterancestors():
        return False
    return _content_chars(container) <= _content_chars(densest) * _GENERIC_SLACK


def _inside_any(element: HtmlElement, others: set[HtmlElement]) -> bool:
    return any(ancestor in others for ancestor in element.iterancestors())


def _content_chars(element: HtmlElement) -> int:
    """Word characters outside links; 0 when links dominate (a list or a menu)."""
    total = len(_WORD.findall(element.text_content()))
    linked = sum(len(_WORD.findall(a.text_content())) for a in element.iter("a"))
    if total == 0 or linked > total * _MAX_LINK_DENSITY:
        return 0
    return total - linked


def _names_chrome(element: HtmlElement, patterns: Patterns) -> bool:
    """The element's class/id names page chrome (share bars, breadcrumbs, a recommendation list,
    a disclaimer box ...)."""
    names = f"{element.get('class', '')} {element.get('id', '')}".lower()
    return bool(patterns.chrome_tokens.intersection(_TOKEN_SPLIT.split(names)))


def _drop_chrome(tree: HtmlElement, container: HtmlElement | None, patterns: Patterns) -> None:
    """Remove elements whose class/id names page chrome (share bars, breadcrumbs, footers ...)."""
    protected = set(container.iterancestors()) | {container} if container is not None else set()
    for element in xpaths.WITH_CLASS_OR_ID(tree):
        if element in protected or element.tag in ("html", "body"):
            continue
        if not _names_chrome(element, patterns):
            continue
        if element.getparent() is not None and _is_chrome_sized(element):
            element.drop_tree()


def _is_chrome_sized(element: HtmlElement) -> bool:
    """Link-dense, or small and without a paragraph-sized run of text."""
    text = element.text_content()
    linked = sum(len(a.text_content()) for a in element.iter("a"))
    if linked > len(text) / 2:
        return True
    if len(text) > _CHROME_MAX_CHARS:
        return False
    return all(len(piece.strip()) < _CHROME_PARAGRAPH for piece in element.itertext())


def _body_lines(
    tree: HtmlElement,
    container: HtmlElement | None,
    url: str,
    attachments: Sequence[tuple[str, str]],
) -> tuple[list[str], list[str], str]:
    """The chosen block's rendered lines (for the meta line, author and origin), the lines that
    make the body, and which part made them (one of ``BODY_SOURCES``)."""
    if container is None:
        lines, source = _fallback_lines(tree, url)
        return lines, lines, source
    source = "cms-container" if _is_cms_container(container) else "dense-block"
    lines = render_lines(container)
    kept = _kept_by_trafilatura(tree, container, lines, url, attachments) if lines else None
    if kept is None:
        return lines, lines, source
    return lines, kept, f"{source}+trafilatura"


def _is_cms_container(element: HtmlElement) -> bool:
    return any(_matches(element, rule) for rule in xpaths.CONTENT_CONTAINERS)


def _kept_by_trafilatura(
    tree: HtmlElement,
    container: HtmlElement,
    lines: list[str],
    url: str,
    attachments: Sequence[tuple[str, str]],
) -> list[str] | None:
    """The container's lines that trafilatura keeps as main text, or None (use them all).

    trafilatura reads the whole page first, so that it judges the container's parts against the
    rest of the page (comment sections, link boxes, newsletter and share boxes, bylines out;
    headings and tables in). When its main text lies mostly outside the container (it chose
    another block) or keeps too little of it, it reads the container alone. Its judgement is
    taken only if it keeps ``_MIN_KEPT_SHARE`` of the container's characters (trafilatura can
    drop ``<br>`` paragraphs and short Chinese ones): below that, nothing is dropped. Lines are
    mapped back, not taken from its output: our lines keep the page's ``<br>`` and table-cell
    breaks, and lines naming the page's attachments are always kept (a notice's attachment list
    is link-only, and trafilatura drops link-only lines). What it dropped that reads as the
    article's own text is put back (``_restore_content``)."""
    total = sum(len(_squash(line)) for line in lines)
    for view in (tree, container):
        text = _trafilatura_text(view, url)
        if not text:
            continue
        kept, matched = _lines_within(lines, text, attachments)
        if view is tree and matched < len(_squash(text)) * _MIN_AGREEMENT:
            continue  # trafilatura's article is elsewhere on the page: ask about the container
        if sum(
            len(_squash(line)) for line, keep in zip(lines, kept, strict=True) if keep
        ) >= total * (_MIN_KEPT_SHARE):
            kept = _restore_content(lines, kept, _line_facts(container, lines))
            return [line for line, keep in zip(lines, kept, strict=True) if keep]
    return None


def _restore_content(
    lines: Sequence[str], kept: Sequence[bool], facts: Sequence[tuple[float, str]]
) -> list[bool]:
    """``kept`` with the dropped lines that read as the article's own text put back.

    trafilatura's precision mode drops parts of an article it otherwise keeps: a paragraph in a
    ``<div>`` or with odd attributes, a lead paragraph in its own wrapper, a subheading or a list
    of short items between paragraphs. Two rules put them back, neither for a link-dense line
    (related links, tags, share bars) nor for one the boilerplate patterns drop or cut at:
    prose (a sentence-sized line ending a sentence) next to a kept line, and so on outwards
    while lines stay prose; a short run of at most ``_SANDWICH_LINES`` lines with both
    neighbours kept (a heading, a one-line paragraph, list items, a numbered section heading in
    any block; not a line naming a year);
    and a longer run with both neighbours kept that is a list (``_is_inner_list``)."""
    restored = list(kept)
    if not any(restored):
        return restored
    patterns = get_patterns()
    usable = [
        share <= _MAX_RESTORED_LINK_SHARE and not is_boilerplate_line(line, patterns)
        for line, (share, _) in zip(lines, facts, strict=True)
    ]
    prose = [ok and _is_prose(line) for line, ok in zip(lines, usable, strict=True)]
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        previous: int | None = None
        for index in order:
            if not restored[index] and prose[index] and previous is not None and restored[previous]:
                restored[index] = True
            previous = index
    for start, end in _dropped_runs(restored):
        run = range(start, end)
        short = end - start <= _SANDWICH_LINES and all(
            usable[index]
            and (facts[index][1] in _SANDWICH_BLOCKS or _ENUMERATED.match(lines[index]))
            and _LETTERS.search(lines[index])
            and not _YEAR.search(lines[index])  # a dateline or a byline's date
            for index in run
        )
        if short or _is_inner_list(run, usable, facts):
            restored[start:end] = [True] * (end - start)
    return restored


def _is_inner_list(
    run: range,
    usable: Sequence[bool],
    facts: Sequence[tuple[float, str]],
) -> bool:
    """A dropped run between kept lines that is a list inside the article (steps, a code
    listing: trafilatura drops lists of short items), with at most a subheading at its end or
    start: unlinked items, most of them list items or preformatted lines."""
    if not all(usable[index] and facts[index][1] in _LIST_RUN_BLOCKS for index in run):
        return False
    items = sum(facts[index][1] in _LIST_ITEM_BLOCKS for index in run)
    return items >= _MIN_LIST_ITEMS and len(run) - items <= _LIST_RUN_HEADINGS


def _dropped_runs(kept: Sequence[bool]) -> list[tuple[int, int]]:
    """[start, end) of every run of dropped lines with a kept line on both sides."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    seen_kept = False
    for index, keep in enumerate(kept):
        if keep:
            if start is not None and seen_kept:
                runs.append((start, index))
            start, seen_kept = None, True
        elif start is None:
            start = index
    return runs


def _is_prose(line: str) -> bool:
    """A sentence or more: it ends a sentence and holds ``_PROSE_HAN`` Han characters or
    ``_PROSE_WORDS`` words."""
    if not _SENTENCE_END.search(line):
        return False
    return len(_HAN_CHAR.findall(line)) >= _PROSE_HAN or len(line.split()) >= _PROSE_WORDS


def _line_facts(root: HtmlElement, lines: Sequence[str]) -> list[tuple[float, str]]:
    """For each of ``render_lines(root)`` (given as ``lines``): the share of its characters
    inside links and the block element it starts in; (0, "") each if the rendering differs
    (it never should)."""
    parts: list[tuple[str, bool, str]] = []
    blocks: list[str] = []
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            depth += tag == "a"
            if tag in _BLOCK_TAGS or tag == "br":
                parts.append(("\n", False, ""))
            if tag in _BLOCK_TAGS:
                blocks.append(tag)
            if element.text and tag:
                parts.append((element.text, depth > 0, blocks[-1] if blocks else ""))
        else:
            if tag in _BLOCK_TAGS:
                parts.append(("\n", False, ""))
                blocks.pop()
            depth -= tag == "a"
            if element.tail and element is not root:
                parts.append((element.tail, depth > 0, blocks[-1] if blocks else ""))
    facts: list[tuple[float, str]] = []
    current: list[tuple[str, bool, str]] = []
    for text, linked, block in parts:
        for number, piece in enumerate(text.split("\n")):
            if number:
                _close_line(current, facts)
                current = []
            current.append((piece, linked, block))
    _close_line(current, facts)
    if len(facts) != len(lines):
        return [(0.0, "")] * len(lines)
    return facts


def _close_line(pieces: list[tuple[str, bool, str]], facts: list[tuple[float, str]]) -> None:
    """Append one rendered line's link share and block (nothing for a line rendering empty)."""
    if not normalize_line("".join(piece for piece, _, _ in pieces)):
        return
    total = sum(len(_squash(piece)) for piece, _, _ in pieces)
    linked = sum(len(_squash(piece)) for piece, is_linked, _ in pieces if is_linked)
    block = next((block for piece, _, block in pieces if piece.strip()), "")
    facts.append((linked / total if total else 0.0, block))


def _trafilatura_text(root: HtmlElement, url: str, *, favor_precision: bool = True) -> str | None:
    """trafilatura's main text of a page, or of one block of it (as the body of an empty
    page); None for a tree over the tag guard."""
    if sum(1 for _ in root.iter()) > _MAX_TAGS:
        return None
    if root.tag == "html":
        document = copy(root)
    else:
        block = deepcopy(root)
        block.tail = None
        if block.tag in _CELL_TAGS:
            block.tag = "div"  # a table cell or row alone is not a table
        document = document_fromstring("<html><body></body></html>", parser=_PARSER)
        document[-1].append(block)
    text: str | None = trafilatura.extract(
        document,
        url=url or None,
        fast=True,
        favor_precision=favor_precision,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        config=_trafilatura_config(),
    )
    return text


def _lines_within(
    lines: Sequence[str], text: str, attachments: Sequence[tuple[str, str]]
) -> tuple[list[bool], int]:
    """Which lines ``text`` holds (whitespace ignored): a whole line or table cell of it, or a
    part of it at least ``_MIN_SUBSTRING`` characters long (it joins ``<br>`` lines), and the
    lines naming an attachment; with the characters of ``text`` they account for."""
    labels = [label for _, text_of in attachments if (label := _squash(text_of))]
    text = "\n".join(normalize_line(line) for line in text.split("\n"))
    cells = Counter(_squash(cell) for line in text.split("\n") for cell in line.split("|"))
    remaining = _squash(text)
    used: Counter[str] = Counter()
    kept: list[bool] = []
    matched = 0
    for line in lines:
        squashed = _squash(line)
        # each place of ``text`` accounts for one line, in page order: a title repeated further
        # down the page (a topic box's link to this very article) is not kept because the
        # headline is
        found = bool(squashed) and (
            used[squashed] < cells[squashed]
            or (len(squashed) >= _MIN_SUBSTRING and squashed in remaining)
        )
        if found:
            used[squashed] += 1
            remaining = remaining.replace(squashed, "\0", 1)
            matched += len(squashed)
        kept.append(found or any(label in squashed for label in labels))
    return kept, matched


def _fallback_lines(tree: HtmlElement, url: str) -> tuple[list[str], str]:
    """No container nor dense block: trafilatura on the whole page (without ``favor_precision``:
    there is no block to fall back on), or the whole body for huge trees."""
    if sum(1 for _ in tree.iter()) > _MAX_TAGS:
        body = xpaths.BODY(tree)
        return render_lines(body[0] if body else tree), "whole-page"
    text = _trafilatura_text(tree, url, favor_precision=False)
    lines = [normalize_line(line) for line in (text or "").split("\n") if line.strip()]
    return lines, "trafilatura"


def _paragraph_blocks(root: HtmlElement) -> dict[HtmlElement, int]:
    """Block elements holding a paragraph's worth of their own unlinked text -> its letters."""
    return {
        block: chars
        for block, chars in _own_text_chars(root).items()
        if chars >= _MIN_PARAGRAPH_CHARS
    }


def _densest(
    blocks: dict[HtmlElement, int], title_heading: HtmlElement | None = None
) -> HtmlElement | None:
    """The element holding most unlinked paragraph text (a small readability-style scorer).

    A paragraph element (p, h1-h6, li ...) credits its parent; a div/td holding text directly
    (``<br>`` layouts) credits itself; parents get half. The winner is widened to its parent while
    the parent holds markedly more paragraph text outside sidebars (articles split over sibling
    wrappers; ``crawler.extract.sidebars`` says which siblings are sidebars).
    """
    credits: dict[HtmlElement, int] = {}
    for block, chars in blocks.items():
        holder = block.getparent() if block.tag in _PARAGRAPH_TAGS else block
        holder = block if holder is None else holder
        credits[holder] = credits.get(holder, 0) + chars
    if not credits:
        return None
    scores = dict(credits)
    totals: dict[HtmlElement, int] = {}
    for holder, chars in credits.items():
        parent = holder.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + chars // 2
        for element in (holder, *holder.iterancestors()):
            totals[element] = totals.get(element, 0) + chars
    best = max(scores, key=lambda element: scores[element])
    if totals.get(best, 0) < _MIN_CONTAINER_CHARS:
        return None
    return _widen(best, totals, title_heading)


def _widen(
    best: HtmlElement, totals: dict[HtmlElement, int], title_heading: HtmlElement | None
) -> HtmlElement:
    """``best`` or the ancestor it widens to: each parent in turn while the parent's paragraph
    text, less that of the sidebars beside ``best``, is ``_WIDEN_RATIO`` times ``best``'s."""
    patterns = get_patterns()
    parent = best.getparent()
    while parent is not None and parent.tag not in ("body", "html"):
        wanted = totals[best] * _WIDEN_RATIO
        if totals.get(parent, 0) < wanted:
            break
        beside = sum(
            totals[child]
            for child in parent
            if child is not best
            and totals.get(child, 0) > 0
            and (
                _names_chrome(child, patterns)
                or is_sidebar(child, best, title_heading, render_lines)
            )
        )
        if totals[parent] - beside < wanted:
            break
        best, parent = parent, parent.getparent()
    return best


def _own_text_chars(root: HtmlElement) -> dict[HtmlElement, int]:
    """Letters (Han or Latin) of the text each block element holds itself, for blocks whose own
    text is mostly outside links (a dated link list scores nothing)."""
    own: dict[HtmlElement, list[int]] = {}
    blocks: list[HtmlElement] = []
    in_link = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            in_link += tag == "a"
            if tag in _BLOCK_TAGS:
                blocks.append(element)
                own.setdefault(element, [0, 0])
            text = element.text if tag else None
            linked = in_link > 0
        else:
            if tag in _BLOCK_TAGS and blocks:
                blocks.pop()
            in_link -= tag == "a"
            text = element.tail if element is not root else None
            linked = in_link > 0
        if text and blocks:
            own[blocks[-1]][linked] += len(_LETTERS.findall(text))
    return {block: free for block, (free, linked) in own.items() if free > linked}


@lru_cache(maxsize=1)
def _trafilatura_config() -> ConfigParser:
    """trafilatura's defaults with an output tree-size guard and no date search."""
    config = ConfigParser(interpolation=None)
    config.read_dict({"DEFAULT": dict(DEFAULT_CONFIG["DEFAULT"])})
    config["DEFAULT"]["MAX_TREE_SIZE"] = str(_TRAFILATURA_MAX_TREE)
    config["DEFAULT"]["EXTENSIVE_DATE_SEARCH"] = "off"
    return config


def _head_region(
    page_lines: Sequence[str], raw_lines: Sequence[str], title: str | None
) -> tuple[list[str], list[str]]:
    """Lines right after the title (the meta line) and right before it, from the whole page."""
    start = _line_index(page_lines, raw_lines[0]) if raw_lines else None
    index = _title_index(page_lines, title, start)
    if index is None:
        if start is None:
            return list(raw_lines[:_HEAD_WINDOW]), []
        return list(raw_lines[:_HEAD_WINDOW]), list(page_lines[max(0, start - 4) : start])
    after = list(page_lines[index + 1 : index + 1 + _HEAD_WINDOW])
    return after, list(page_lines[max(0, index - _BEFORE_TITLE) : index])


def _around_body(page_lines: Sequence[str], raw_lines: Sequence[str]) -> list[str]:
    """Page lines right before the body, its first lines and the lines right after it, where a
    post's byline stands (a table forum's ``发表于: …`` line heads the post's text cell)."""
    start = _line_index(page_lines, raw_lines[0]) if raw_lines else None
    if start is None:
        return []
    end = start + len(raw_lines) - 1
    for index in range(start, len(page_lines)):
        if page_lines[index] == raw_lines[-1]:
            end = index
    return [
        *page_lines[max(0, start - _BYLINE_BEFORE) : start],
        *raw_lines[:_BYLINE_AFTER],
        *page_lines[end + 1 : end + 1 + _BYLINE_AFTER],
    ]


def _title_index(lines: Sequence[str], title: str | None, body_start: int | None) -> int | None:
    """Where the title stands: the last occurrence before the body (a sidebar may repeat it)."""
    if not title:
        return None
    target = _squash(title)
    found: list[int] = []
    for index, line in enumerate(lines):
        text = _squash(line)
        if text == target or (
            target in text and len(text) <= len(target) + 12 and not _CRUMB_SEPARATORS.search(text)
        ):
            found.append(index)
    if not found:
        return None
    before_body = [index for index in found if body_start is None or index <= body_start]
    return before_body[-1] if before_body else found[0]


def _line_index(lines: Sequence[str], wanted: str) -> int | None:
    for index, line in enumerate(lines):
        if line == wanted:
            return index
    return None


def _drop_title_lines(lines: list[str], title: str | None) -> list[str]:
    """Remove the title from the head of the text (a later repeat, e.g. a caption, stays)."""
    if not title:
        return lines
    target = _squash(title)
    for index, line in enumerate(lines[:_TITLE_SEARCH_LINES]):
        joined = ""  # a title broken over lines (<br> inside the headline) is dropped whole
        for end in range(index, min(index + _TITLE_SEARCH_LINES, len(lines))):
            joined += _squash(lines[end])
            if joined == target:
                return lines[:index] + lines[end + 1 :]
            if not target.startswith(joined):
                break
        if len(line) > _PARAGRAPH_CHARS or "。" in line:
            break
    return lines


def _squash(text: str) -> str:
    return "".join(text.split())
