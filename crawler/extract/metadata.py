"""Article metadata other than dates: title, author, origin (来源/转自) and site name.

Pure functions over an lxml tree and rendered text lines; no settings read. Label and suffix
patterns come from ``crawler/data/boilerplate.yaml`` via ``crawler.extract.boilerplate``. Cheaper than
trafilatura's metadata pass, and tuned to Chinese pages: the title is the article's own heading
when ``<title>`` confirms it, or the headline that is one whole segment of ``<title>``, else
ArticleTitle/og:title, else ``<title>`` without its site-name suffix or prefix
(``..._荆门市人民政府``, ``... - 商务部投资促进事务局``, ``...|中国城市发展研究会``); the extraction
stage prefers the headline right above the body (``headline_above``) to a metadata title that no
headline on the page shows. A post's byline (``张伟 发表于 …``) names its author.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from crawler.analyze.normalize import plain_line
from crawler.analyze.script import HAN
from crawler.extract import xpaths
from crawler.extract.boilerplate import (
    get_patterns,
    is_breadcrumb_path,
    label_view,
    normalize_line,
)
from crawler.extract.dates import parse_date
from crawler.extract.sidebars import in_side_box

# An anchor written by an inline script (``'<a href="./P02020.docx">名称.docx</a>'``) and tags
_SCRIPT_LINK = re.compile(
    r"""<a\s[^<>]*?href\s*=\s*\\?["']([^"'<>\\\s]{1,500})\\?["'][^<>]*>(.{0,300}?)</a>""",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<[^<>]*>")
_MAX_ATTACHMENT_SCRIPT = 20_000  # longer inline scripts (libraries) write no attachment list

_MAX_BUTTON = 4  # chars of a link at a headline's end that is a button, not the headline's
_SEPARATOR = re.compile(r"\s*(?:_{1,2}|\|{1,2}|｜|::|»)\s*|\s+[-–—－]{1,2}\s+|\s*--\s*")
_GLUED_SITE = re.compile(r"(?<![-—–－\s])[-—–－](?P<site>[^-—–－\d]{2,25})$")
_HAN_BREAK = re.compile(rf"(?<=[{HAN}])[ \t\u3000]*\n\s*(?=[{HAN}\d（(《“])")
_ELLIPSIS = re.compile(r"(?:\.{3,}|…+)$")
_NO_SPACE = re.compile(r"\s+")
_MAX_HEADINGS = 60
_MIN_HEADLINE = 6  # chars; a shorter heading above the body is a column name
_HEADLINE_GAP = 200  # chars of text (a meta line, a summary) between a headline and its body
_MAX_HEADLINE = 80  # chars; a longer bold run is a paragraph, not a headline
_LABEL_LINE = 80  # longest line searched for 来源/作者 labels
_MAX_SEGMENT = 25  # a <title> segment longer than this is never a site or channel name
_TITLE_META = ("articletitle", "og:title", "twitter:title", "dc.title", "headline")
_SITE_META = ("og:site_name", "sitename", "site_name", "site", "application-name")
_ORIGIN_META = ("contentsource", "source", "article:source", "og:source", "copyfrom")
_COPYRIGHT = re.compile(
    r"(?:版权所有|版權所有|主办单位|主办)\s*[:：©]?\s*(?:©\s*)?"
    r"(?:(?:19|20)\d{2}(?:\s*[-–—~至]\s*(?:19|20)\d{2})?\s+)?"  # © 2001-2012 中国地理学会
    r"(?P<v>[^\s|，,©:：]{2,30})"
)
_TRAILING_NAME = re.compile(
    r"[（(]\s*(?:记者|作者|文\s*[/／]\s*图|图\s*[/／]\s*文|文图|图文|文|通讯员|撰稿)?\s*[:：]?\s*"
    rf"(?P<v>[{HAN}·]{{2,4}}(?:[\s、，,][{HAN}·]{{2,4}}){{0,3}})\s*[)）]\s*$"
)
_NOT_A_NAME_END = re.compile(r"[站市省区县局部会网社报院所厅委办司处室组队团型版稿讯完]$")
_ORG_HINT = re.compile(r"网|政府|局|委|院|会|部|中心|办|厅|站|社|报|公司|集团|www|http|\.")
_VALUE_JUNK = re.compile(
    r"^[\s:：,，;；|/\\\-—()（）\[\]【】“”\"'「」]+|[\s:：,，;；|/\\\-—()（）\[\]【】。“”\"'「」]+$"
)
_QUOTES = "“「『\"'‘"
_COMPACT_NAME = re.compile(r"^[\w（）()·]+$")
_CODE_TAGS = ("script", "style", "noscript", "template")
_FLOOR = re.compile(r"^(?:楼主|沙发|板凳|地板|\d+\s*[#楼]|#\d+)$")  # a post's place, not its author
_NAME_TAIL = re.compile(r"(?:报道|摄影|摄|供稿|整理)$")
# an old forum's headline label: 主题：X, 标题：X, 帖子主题：X, [主题] X
_HEADLINE_LABEL = re.compile(r"^[\[【]?\s*(?:帖子)?(?:主题|标题)\s*(?:[\]】]\s*[:：]?|[:：])\s*")


def read_meta(tree: HtmlElement) -> dict[str, str]:
    """``<meta>`` contents keyed by lower-cased name/property/itemprop/http-equiv (first wins)."""
    meta: dict[str, str] = {}
    for element in xpaths.META(tree):
        content = element.get("content")
        if not content:
            continue
        for attribute in ("name", "property", "itemprop", "http-equiv"):
            key = element.get(attribute)
            if key:
                meta.setdefault(key.strip().lower(), normalize_line(content))
    return meta


def visible_text(element: HtmlElement) -> str:
    """The element's text without the text of scripts, styles and templates inside it."""
    if next(element.iter(*_CODE_TAGS), None) is None:
        return str(element.text_content())
    return "".join(str(text) for text in xpaths.VISIBLE_TEXT(element))


def page_title(tree: HtmlElement) -> str:
    """Plain text of the first ``<title>`` element ('' if none). The parser keeps a title's
    content as raw text, so a ``<script>`` written inside it is removed here as text."""
    for element in xpaths.TITLE(tree):
        return normalize_line(plain_line(visible_text(element)))
    return ""


def headline_value(text: str) -> str:
    """A headline's text without an old forum's label (``主题：X``, ``标题：X``, ``帖子主题：X``
    give X)."""
    value = _HEADLINE_LABEL.sub("", text, count=1)
    return value if len(value) >= 4 else text


def _headline_text(element: HtmlElement) -> str:
    """The element's text as one line; a line break between two Han characters (a headline set
    over lines with ``<br>``) joins them without a space. A short link set apart at its end (a
    blog's ``编辑`` or ``收藏`` button in the title's box) is not the headline's."""
    text = _HAN_BREAK.sub("", visible_text(element))
    return headline_value(normalize_line(plain_line(_without_end_button(element, text))))


def _without_end_button(element: HtmlElement, text: str) -> str:
    """``text`` without a last link of at most ``_MAX_BUTTON`` characters that follows other
    words after a space."""
    links = [link for link in element.iter("a") if link.text_content().strip()]
    if not links:
        return text
    button = links[-1].text_content().strip()
    before, _, after = text.rstrip().rpartition(button)
    if len(button) > _MAX_BUTTON or after or not before[-1:].isspace():
        return text
    return before if len(before.strip()) >= 4 else text


def heading_texts(tree: HtmlElement) -> list[str]:
    """Texts of headings and title-classed elements (not link lists nor breadcrumb paths such as
    ``首页 - 新闻动态``), in document order."""
    texts: list[str] = []
    for element in xpaths.HEADINGS(tree):
        text = _headline_text(element)
        if not 4 <= len(text) <= 200 or text in texts or is_breadcrumb_path(text):
            continue
        linked = sum(len(link.text_content().strip()) for link in element.iter("a"))
        if linked * 2 < len(text):
            texts.append(text)
            if len(texts) >= _MAX_HEADINGS:
                break
    return texts


def headline_texts(tree: HtmlElement) -> list[str]:
    """Texts of the elements a headline is set in (headings, linked or not, title-classed
    elements, bold and ``<font>`` runs), in document order: what a ``<title>`` segment may name
    when ``heading_texts`` has no match (a blog's permalinked ``<h2><a>``, an old forum's
    ``<font size=4><b>``)."""
    texts: dict[str, None] = {}  # an ordered set
    for element in xpaths.HEADLINE_CANDIDATES(tree):
        text = _headline_text(element)
        if 4 <= len(text) <= _MAX_HEADLINE:
            texts[text] = None
    return list(texts)


def headline_above(
    tree: HtmlElement, body: HtmlElement, known_sites: Sequence[str] = ()
) -> str | None:
    """The headline a reader sees right above the article's body: the last headline element
    before ``body`` in document order (not one of its ancestors), with no more than a meta
    line's text between them; None when there is none (a site or channel name, a linked logo,
    a related-list heading, a meta line or a date is no headline)."""
    order = {element: index for index, element in enumerate(tree.iter())}
    start = order.get(body)
    if start is None:
        return None
    around = set(body.iterancestors())
    candidates = [
        element
        for element in xpaths.HEADLINE_CANDIDATES(tree)
        if order.get(element, start) < start and element not in around
    ]
    for element in reversed(candidates):
        if _text_between(element, body, order) > _HEADLINE_GAP:
            break
        text = _headline_text(element)
        if _is_headline(element, text, known_sites):
            return text
    return _headline_opening(body, known_sites)


def _headline_opening(body: HtmlElement, known_sites: Sequence[str]) -> str | None:
    """The headline that opens ``body`` itself (a container holding the headline, its meta line
    and the text): the first headline element inside it, with no text before it."""
    inside = set(body.iter())
    for element in xpaths.HEADLINE_CANDIDATES(body):  # the XPath searches the whole document
        if element not in inside:
            continue
        before = 0
        for node in body.iter():
            if node is element:
                break
            if isinstance(node.tag, str) and node not in element.iterancestors():
                before += len((node.text or "").strip()) + len((node.tail or "").strip())
        text = _headline_text(element)
        if before == 0 and _is_headline(element, text, known_sites):
            return text
        return None
    return None


def visible_headline(
    tree: HtmlElement, body: HtmlElement, title: str | None, known_sites: Sequence[str] = ()
) -> str | None:
    """The headline right above ``body`` (``headline_above``) when no heading of the article
    shows ``title``: a title that only metadata states, or one that the page sets only in a
    side box, a list's item or a list's heading (a stale or SEO og:title naming a sidebar's or
    a related list's entry); None when a heading outside those shows the title, or no headline
    stands above the body."""
    headline = headline_above(tree, body, known_sites)
    if headline is None or not title:
        return headline
    if _squash(headline) == _squash(title) or _shown_outside_lists(tree, body, title):
        return None
    return headline


def _shown_outside_lists(tree: HtmlElement, body: HtmlElement, title: str) -> bool:
    """A heading stating ``title`` (alone or with a meta line) stands outside side boxes,
    lists' items and lists' headings."""
    target = _squash(title)
    only_h1 = len(tree.xpath("//h1")) == 1
    for element in [*xpaths.HEADINGS(tree), *xpaths.HEADLINE_CANDIDATES(tree)]:
        text = _squash(_headline_text(element))
        if not text.startswith(target) or len(text) > len(target) + _HEADLINE_GAP // 3:
            continue
        if _declared_headline(element, only_h1):
            return True  # whatever its boxes are named (Yahoo lays its article out in YDC-Side)
        if not in_side_box(element, in_lists=True, article=body):
            return True
    return False


def _declared_headline(element: HtmlElement, only_h1: bool) -> bool:
    """The page's own headline by markup: ``itemprop="headline"``, or the page's only ``h1``."""
    return element.get("itemprop") == "headline" or (element.tag == "h1" and only_h1)


def _is_headline(element: HtmlElement, text: str, known_sites: Sequence[str]) -> bool:
    if not _MIN_HEADLINE <= len(text) <= _MAX_HEADLINE:
        return False
    if any(ancestor.tag == "a" for ancestor in element.iterancestors()):
        return False  # a linked logo or teaser
    linked = sum(len(link.text_content().strip()) for link in element.iter("a"))
    patterns = get_patterns()
    view = label_view(text)
    return not (
        linked * 2 >= len(text)
        or _site_like(text, known_sites)
        or patterns.cut_marker.match(view)
        or patterns.breadcrumb.search(view)
        or is_breadcrumb_path(view)
        or patterns.meta_any.search(view)
        or parse_date(text)
    )


def _text_between(first: HtmlElement, body: HtmlElement, order: dict[HtmlElement, int]) -> int:
    """Characters of text after ``first`` (and its content) and before ``body`` starts."""
    end = max(order[node] for node in first.iter()) if first in order else 0
    stop = order[body]
    chars = len((first.tail or "").strip())
    for node, index in order.items():
        if end < index < stop:
            if isinstance(node.tag, str):
                chars += len((node.text or "").strip())
            if node not in body.iterancestors():
                chars += len((node.tail or "").strip())
    return chars


def site_names(meta: dict[str, str]) -> list[str]:
    """Site names that the page's metadata states."""
    return [meta[key] for key in _SITE_META if meta.get(key)]


def split_title(raw: str, known_sites: Sequence[str] = ()) -> tuple[str, str | None]:
    """``<title>`` without site/channel segments at either end: ``(title, site name or None)``."""
    bounds = _segments(raw)
    if len(bounds) < 2:
        return _strip_glued_site(raw.strip(), known_sites)
    site: str | None = None
    while len(bounds) > 1 and _is_site_segment(raw, bounds, -1, known_sites):
        site = site or _site_or_none(raw[bounds[-1][0] : bounds[-1][1]], known_sites)
        bounds.pop()
    while len(bounds) > 1 and _is_site_segment(raw, bounds, 0, known_sites):
        site = site or _site_or_none(raw[bounds[0][0] : bounds[0][1]], known_sites)
        bounds.pop(0)
    title, glued = _strip_glued_site(raw[bounds[0][0] : bounds[-1][1]].strip(), known_sites)
    return title, site or glued


def _strip_glued_site(title: str, known_sites: Sequence[str]) -> tuple[str, str | None]:
    """``标题-全国市长研修学院``: a site name after a hyphen without spaces."""
    match = _GLUED_SITE.search(title)
    if not match or match.start() < 4:
        return title, None
    site = match.group("site").strip()
    if site in known_sites or get_patterns().site_suffix.search(site):
        return title[: match.start()].strip(), site
    return title, None


def _segments(raw: str) -> list[tuple[int, int]]:
    """(start, end) of the non-empty pieces of ``raw`` between title separators."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _SEPARATOR.finditer(raw):
        if match.start() > start:
            bounds.append((start, match.start()))
        start = match.end()
    if start < len(raw):
        bounds.append((start, len(raw)))
    return bounds


def _is_site_segment(
    raw: str, bounds: list[tuple[int, int]], index: int, known_sites: Sequence[str]
) -> bool:
    """The segment at ``index`` names a site or channel, and some other segment does not."""
    texts = [raw[start:end].strip() for start, end in bounds]
    if not _site_like(texts[index], known_sites):
        return False
    others = texts[:index] + texts[index + 1 :] if index >= 0 else texts[:index]
    return any(not _site_like(text, known_sites) for text in others)


def _site_like(text: str, known_sites: Sequence[str]) -> bool:
    if text in known_sites:
        return True
    if len(text) > _MAX_SEGMENT or not _COMPACT_NAME.match(text):
        return False
    patterns = get_patterns()
    return bool(patterns.site_suffix.search(text) or patterns.channel_suffix.search(text))


def _site_or_none(segment: str, known_sites: Sequence[str]) -> str | None:
    text = segment.strip()
    if text in known_sites or get_patterns().site_suffix.search(text):
        return text
    return None


def find_title(
    raw_title: str,
    meta: dict[str, str],
    headings: Sequence[str],
    headlines: Sequence[str] = (),
) -> tuple[str | None, str | None]:
    """The article's title and the site name its ``<title>`` carries (either may be None).

    A heading that ``<title>`` or a title meta tag confirms wins; then a ``headlines`` text that
    is one whole segment of ``<title>`` or of the meta title (``标题 - 博主 - 博客园``: the site
    part is not always recognisable); then the meta title, then ``<title>`` itself."""
    known = site_names(meta)
    core, title_site = split_title(raw_title, known) if raw_title else ("", None)
    core = _ELLIPSIS.sub("", core).strip()
    if core in known:
        core = ""
    stated = [plain_line(meta[key]) for key in _TITLE_META if meta.get(key)]
    for reference in [core, *(split_title(value, known)[0] for value in stated)]:
        heading = _matching_heading(headings, reference, raw_title)
        if heading:
            return heading, title_site
    segment = _segment_headline([raw_title, *stated], [*headings, *headlines], known)
    if segment:
        return segment, title_site
    for value in stated:
        title = split_title(value, known)[0]
        if title and title not in known:
            return title, title_site
    if core:
        return core, title_site
    unknown = [h for h in headings if h not in known and h != title_site]
    return (max(unknown, key=len) if unknown else None), title_site


def _segment_headline(
    titles: Sequence[str], headlines: Sequence[str], known_sites: Sequence[str]
) -> str | None:
    """The longest headline that is a whole segment (between separators) of one of ``titles``,
    and not a site or channel name."""
    shown = {_squash(text): text for text in headlines}
    best: str | None = None
    for raw in titles:
        bounds = _segments(raw)
        glued = _GLUED_SITE.search(raw.rstrip())
        if glued and glued.start() > 0 and not raw[glued.start() - 1].isspace():
            bounds.append((0, glued.start()))  # 标题-栏目: the part before a glued hyphen
        if len(bounds) < 2:
            continue
        for start, end in bounds:
            segment = raw[start:end].strip()
            text = shown.get(_squash(segment))
            if (
                text
                and len(_squash(segment)) >= 4
                and not _site_like(segment, known_sites)
                and (best is None or len(text) > len(best))
            ):
                best = text
    return best


def _matching_heading(headings: Sequence[str], reference: str, raw_title: str) -> str | None:
    """The heading that ``reference`` (a title from metadata) confirms, preferring exact matches."""
    target = _squash(reference)
    if len(target) < 4:
        return None
    whole = _squash(raw_title)
    best: str | None = None
    for heading in headings:
        text = _squash(heading)
        if text == target:
            return heading
        inside = len(text) >= 0.6 * len(target) and (text in target or text in whole)
        around = target in text and len(text) <= len(target) + 12
        if (inside or around) and (best is None or len(heading) > len(best)):
            best = heading
    return best


def _squash(text: str) -> str:
    return _NO_SPACE.sub("", text).lower()


def find_site_name(
    meta: dict[str, str], title_site: str | None, page_lines: Sequence[str]
) -> str | None:
    """og:site_name/SiteName, else the name stripped from ``<title>``, else 版权所有/主办 holder."""
    stated = site_names(meta)
    if stated:
        return stated[0]
    if title_site:
        return title_site
    for line in reversed(page_lines[-40:]):
        match = _COPYRIGHT.search(line)
        if match:
            return _clean_value(match.group("v"))
    return None


def find_origin(
    meta: dict[str, str],
    head_lines: Sequence[str],
    body_lines: Sequence[str],
    *,
    tagged: Sequence[str] = (),
) -> str | None:
    """The 来源/文章来源/转自/稿源 value: the meta line, a ``#source_baidu``-like element, the
    body's first and last lines, then meta tags."""
    pattern = get_patterns().origin
    found = _labelled_value(_label_lines(head_lines, ()), pattern)
    for text in tagged:
        if found:
            break
        found = _labelled_value([text], pattern) or _clean_value(text)
    found = found or _labelled_value(_label_lines((), body_lines), pattern)
    for key in _ORIGIN_META:
        found = found or _clean_value(meta.get(key, ""))
    return found


def _labelled_value(lines: Iterable[str], pattern: re.Pattern[str]) -> str | None:
    """The first valid ``LABEL: value`` value in ``lines`` (not one quoted inside prose)."""
    for line in lines:
        view = label_view(line)
        for match in pattern.finditer(view):
            if match.start() and view[match.start() - 1] in _QUOTES:
                continue
            value = _clean_value(match.group("value"))
            if value:
                return value
    return None


def find_author(
    meta: dict[str, str],
    head_lines: Sequence[str],
    body_lines: Sequence[str],
    bylines: Sequence[str] = (),
    poster: str | None = None,
) -> str | None:
    """作者/记者 label, else the name of a post's byline (``bylines``: ``张伟 发表于 …``,
    ``本贴由 老街坊 于…发表``, ``posted on … 李明``), else the forum post's ``poster`` (the name in
    a table forum's poster cell), else a trailing bracketed name ``(邓显军)``, else 编辑, else
    meta author."""
    patterns = get_patterns()
    lines = _label_lines(head_lines, body_lines)
    return (
        _labelled_name(lines, patterns.author)
        or _byline_name(bylines)
        or (_person_like(poster) if poster and not _FLOOR.match(poster) else None)
        or _trailing_name(body_lines)
        or _labelled_name(lines, patterns.editor)
        or _person_like(meta.get("author", ""))
    )


def find_bylines(lines: Sequence[str]) -> list[str]:
    """The posts' bylines (name and posting time, what follows them cut) in ``lines``, once each."""
    byline = get_patterns().byline
    found: list[str] = []
    for line in lines:
        match = byline.search(line) if len(line) <= _LABEL_LINE else None
        if match and match.group(0).strip() not in found:
            found.append(match.group(0).strip())
    return found


def _byline_name(bylines: Sequence[str]) -> str | None:
    byline = get_patterns().byline
    for line in bylines:
        match = byline.search(line)
        name = (
            next((value for value in match.groupdict().values() if value), None) if match else None
        )
        if name and not _FLOOR.match(name):
            found = _person_like(name)
            if found:
                return found
    return None


def _label_lines(head_lines: Sequence[str], body_lines: Sequence[str]) -> list[str]:
    """Lines where labelled metadata sits: the meta line, and those of the body's first and last
    lines that open with a label ("数据来源：国家统计局" inside the body is not the origin)."""
    edges = [*body_lines[:5], *body_lines[-8:]] if len(body_lines) > 13 else list(body_lines)
    meta_start = get_patterns().meta_start
    edges = [line for line in edges if meta_start.match(label_view(line))]
    # a long line is prose (a disclaimer may quote "文章来源:商务部网站"), not a label line
    return [line for line in [*head_lines, *edges] if len(line) <= _LABEL_LINE]


def _labelled_name(lines: Iterable[str], pattern: re.Pattern[str]) -> str | None:
    widgets = get_patterns().widgets
    for line in lines:
        for match in pattern.finditer(widgets.sub(" ", label_view(line))):
            value = _person_like(_NAME_TAIL.sub("", _clean_value(match.group("value")) or ""))
            if value:
                return value
    return None


def _trailing_name(body_lines: Sequence[str]) -> str | None:
    for line in reversed(body_lines[-3:]):
        match = _TRAILING_NAME.search(line)
        if match and not _NOT_A_NAME_END.search(match.group("v")):
            return match.group("v")
    return None


def _person_like(value: str) -> str | None:
    value = normalize_line(value)
    if not value or len(value) > 20 or any(char.isdigit() for char in value):
        return None
    return None if _ORG_HINT.search(value) and len(value) > 4 else value


def _clean_value(value: str) -> str | None:
    value = _VALUE_JUNK.sub("", normalize_line(value))
    if not value or len(value) > 40 or ":" in value or "：" in value or parse_date(value):
        return None
    if get_patterns().meta_start.match(value + "："):
        return None
    return value


def find_attachments(tree: HtmlElement, url: str) -> tuple[tuple[str, str], ...]:
    """(absolute URL, link text) of links to documents (pdf/doc/xls/zip/ofd ...) in the page,
    and of those an inline script writes into it (TRS pages hold their attachment list in
    ``var file_appendix='<a href="./P0….docx">….docx</a>'`` and ``document.write`` it)."""
    bases = xpaths.BASE_HREF(tree)
    base = urljoin(url, str(bases[0])) if bases else url
    found: dict[str, str] = {}
    for link in xpaths.LINKS(tree):
        _add_attachment(found, base, link.get("href") or "", visible_text(link))
    for script in xpaths.INLINE_SCRIPTS(tree):
        if len(script) > _MAX_ATTACHMENT_SCRIPT:
            continue
        for href, inner in _SCRIPT_LINK.findall(str(script)):
            _add_attachment(found, base, href, _TAG.sub("", inner))
    return tuple(found.items())


def _add_attachment(found: dict[str, str], base: str, href: str, text: str) -> None:
    """Record ``href`` (relative to ``base``) when it links to a document."""
    patterns = get_patterns()
    href = href.strip()
    if not patterns.attachment_link.search(href) or href.lower().startswith(
        ("javascript:", "mailto:", "#")
    ):
        return
    if not _extensions(href) & patterns.attachment_extensions:
        return
    absolute = urljoin(base, href)
    found.setdefault(absolute, plain_line(text) or plain_line(absolute.rsplit("/", 1)[-1]))


def _extensions(href: str) -> set[str]:
    """File extensions of the link's path and of its last query value (``?file=a.pdf``)."""
    try:
        parts = urlsplit(href)
    except ValueError:
        return set()
    names = (parts.path.rsplit("/", 1)[-1], parts.query.rsplit("=", 1)[-1].rsplit("/", 1)[-1])
    return {name.rsplit(".", 1)[-1].lower() for name in names if "." in name}
