"""Finding a site's article links and its next list page, given only a list page.

Pure: works on a parsed lxml tree, imports neither Scrapy nor the database.

How articles are told from everything else, without per-site code:
1. Links in page chrome (``nav``/``header``/``footer``/``aside`` and elements whose class or id
   says menu, nav, footer, sidebar, breadcrumb, friend links...) are dropped, as are links to other
   sites, attachments, scripts and the page's own pagination.
2. Every remaining link gets an article score from its URL (TRS ``t20240820_5678.html``,
   ``art_100_3001.html``, dated paths, ``show-88.html``, ``content_123.htm``, long numeric ids,
   ``?id=123`` detail pages) and its anchor text (headlines are long; menu entries are short).
3. Links are grouped by their position in the page (the tag/class path of their parent). The
   article list is the best-scoring group; groups scoring at least half as well are kept too.
A per-source ``article_links`` override (CSS, XPath or ``re:`` URL regex) replaces steps 2-3.
Whatever the page or the override says, only absolute http(s) URLs come out (never ``file:``,
``data:``, ``ftp:``...): they are the only URLs the crawler may request. They come out as the
URLs to request (``crawler.discover.urls.request_url``): percent-encoded, a raw query in the
page's encoding as browsers send it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement, HTMLParser

from crawler.analyze.normalize import plain_line
from crawler.discover.urls import (
    canonicalize,
    is_attachment_url,
    is_http_url,
    request_url,
    same_site,
)
from crawler.extract.metadata import visible_text

_HTML_PARSER = HTMLParser(recover=True, no_network=True, huge_tree=True)
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside"})
_CHROME_TOKEN = re.compile(
    r"^(?:.*nav|menu.*|.*menu|foot.*|.*footer|header|banner|.*crumb.*|side.*|.*sidebar|aside|"
    r"friend.*|yqlj|links|quicklinks?|sitelinks?|copyright|copy|share.*|bottom|location|position|weizhi|dh|daohang|"
    r"top-?bar|toolbar|login|search.*)$",
    re.IGNORECASE,
)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")

_NON_ARTICLE_PATH = re.compile(
    r"(?:^/?$|/(?:index|default|list|lists?_\d+|more|column|channel|node_\d+)(?:[_-]\d+)?"
    r"\.(?:s?html?|php|aspx?|jsp)$|/(?:about|contact|login|register|search|sitemap|rss|feed|"
    r"help|copyright|privacy|disclaimer|map|lxwm|gywm|wzdt|mzsm)(?:us)?(?:[/._-]|$))",
    re.IGNORECASE,
)
_ARTICLE_PATH = [
    (re.compile(r"/t\d{8}_\d+\.s?html?$", re.I), 6),  # TRS
    (re.compile(r"/art_\d+_\d+\.html?$", re.I), 6),  # Hanweb
    (re.compile(r"/(?:content|c|a|n|detail|info|news|article|show|view|doc)[_-]\d{3,}", re.I), 5),
    (re.compile(r"/show-\d+\.s?html?$", re.I), 5),
    (
        re.compile(
            r"/(?:19|20)\d{2}[-/]?(?:0[1-9]|1[0-2])(?:[-/]?(?:0[1-9]|[12]\d|3[01]))?/", re.I
        ),
        4,
    ),
    (re.compile(r"/\d{5,}\.s?html?$", re.I), 4),
    (re.compile(r"/(?:detail|article|content|view|show|info|news)s?[/_-]", re.I), 2),
    (re.compile(r"\d{4,}[^/]*\.(?:s?html?|php|aspx?|jsp)$", re.I), 2),
]
_ARTICLE_QUERY = re.compile(
    r"^(?:id|aid|articleid|article_id|newsid|news_id|infoid|docid|contentid|itemid|cid|nid|tid)$",
    re.IGNORECASE,
)

_NEXT_TEXT = re.compile(r"^\s*(?:下一页|下页|后一页|下一頁|next(?:\s*page)?|›|»|>|>>)\s*$", re.I)
_PAGE_NUMBER_TEXT = re.compile(r"^\s*\[?\s*(?:第\s*)?(\d{1,4})\s*(?:页)?\s*\]?\s*$")
_JS_PAGER = re.compile(
    r"createPage(?:HTML|Html)\w*\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*"
    r"['\"]([\w.-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_MIN_HEADLINE = 6
_URL_ONLY_SCORE = 4  # a sitemap URL must score this much on its shape alone


@dataclass
class LinkReport:
    """What a list page links to: article URLs, attachment URLs, and the next list page."""

    articles: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)
    next_page: str | None = None


@dataclass
class _Link:
    url: str
    text: str
    element: HtmlElement
    score: int = 0


def discover(
    root: HtmlElement,
    page_url: str,
    *,
    page_number: int = 1,
    article_links: str | None = None,
    encoding: str = "utf-8",
) -> LinkReport:
    """Article links, attachments and the next list page of a list page written in
    ``encoding`` (the encoding its raw query strings are sent in)."""
    links = list(_content_links(root, page_url, encoding))
    next_page = find_next_page(root, page_url, page_number, encoding)
    pagination = {canonicalize(next_page)} if next_page else set()
    pagination |= _pager_urls(links, page_url)
    report = LinkReport(next_page=next_page)
    candidates: list[_Link] = []
    for link in links:
        if is_attachment_url(link.url):
            report.attachments.append((link.url, link.text))
        elif canonicalize(link.url) not in pagination:
            candidates.append(link)
    if article_links:
        report.articles = _dedupe(
            _override_links(root, page_url, candidates, article_links, encoding)
        )
    else:
        report.articles = _dedupe(link.url for link in _article_group(candidates))
    return report


def _content_links(root: HtmlElement, page_url: str, encoding: str) -> Iterator[_Link]:
    base = _base_url(root, page_url)
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = request_url(urljoin(base, href), encoding)
        if not is_http_url(url) or not same_site(url, page_url):
            continue
        if _in_chrome(anchor):
            continue
        # Plain text: these become attachment titles, and a title attribute may hold markup.
        text = plain_line(visible_text(anchor))
        title = plain_line(anchor.get("title"))
        yield _Link(url=url, text=title if len(title) > len(text) else text, element=anchor)


def _base_url(root: HtmlElement, page_url: str) -> str:
    for base in root.iter("base"):
        href = base.get("href")
        if href:
            return urljoin(page_url, href.strip())
    return page_url


def _in_chrome(element: HtmlElement) -> bool:
    node: HtmlElement | None = element
    while node is not None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _CHROME_TAGS:
            return True
        for attr in ("class", "id"):
            value = node.get(attr)
            if value and any(_CHROME_TOKEN.match(tok) for tok in _TOKEN_SPLIT.split(value) if tok):
                return True
        node = node.getparent()
    return False


def url_score(url: str) -> int:
    """How much a URL alone looks like an article's (-10 for home, list and service pages)."""
    parts = urlsplit(url)
    path = parts.path
    if _NON_ARTICLE_PATH.search(path) and not parts.query:
        return -10
    score = max((weight for pattern, weight in _ARTICLE_PATH if pattern.search(path)), default=0)
    if any(_ARTICLE_QUERY.match(key) and value.isdigit() for key, value in parse_qsl(parts.query)):
        score = max(score, 4)
    return score


def filter_listed_urls(urls: Iterable[str], article_links: str | None = None) -> list[str]:
    """The article URLs among those a sitemap lists (sitemaps list every page of a site).

    A ``re:`` override decides alone; otherwise a URL must have an article's shape (TRS, Hanweb,
    dated paths, ``show-88.html``, ``?id=123``...). CSS/XPath overrides need a page, so they don't
    apply here.
    """
    urls = [url for url in urls if is_http_url(url)]
    if article_links and article_links.startswith("re:"):
        pattern = re.compile(article_links[3:])
        return _dedupe(url for url in urls if pattern.search(url))
    return _dedupe(url for url in urls if url_score(url) >= _URL_ONLY_SCORE)


def article_score(url: str, text: str) -> int:
    """How much a link looks like an article: URL shape plus headline-like anchor text."""
    score = url_score(url)
    if score < 0:
        return score
    length = len(text)
    if length >= 12:
        score += 3
    elif length >= _MIN_HEADLINE:
        score += 1
    elif length <= 4:
        score -= 3
    return score


def _article_group(candidates: list[_Link]) -> list[_Link]:
    groups: dict[str, list[_Link]] = defaultdict(list)
    for link in candidates:
        link.score = article_score(link.url, link.text)
        if link.score > 0:
            groups[_position_key(link.element)].append(link)
    if not groups:
        return []
    weights = {key: _group_weight(members) for key, members in groups.items()}
    best = max(weights.values())
    kept: list[_Link] = []
    for key, members in groups.items():
        if weights[key] >= best / 2 and (len(members) >= 2 or weights[key] == best):
            kept.extend(link for link in members if link.score >= 3)
    return sorted(kept, key=lambda link: _document_order(link.element))


def _group_weight(members: list[_Link]) -> float:
    # Sum of scores, with a bonus for uniform URL shapes: real lists repeat one pattern.
    shapes = {re.sub(r"\d+", "0", urlsplit(link.url).path) for link in members}
    uniformity = 1.5 if len(members) >= 3 and len(shapes) <= 2 else 1.0
    return sum(link.score for link in members) * uniformity


def _position_key(element: HtmlElement) -> str:
    parts: list[str] = []
    node = element.getparent()
    depth = 0
    while node is not None and depth < 6:
        tag = node.tag if isinstance(node.tag, str) else "?"
        classes = (node.get("class") or "").split()
        parts.append(tag + ("." + classes[0] if classes else ""))
        node = node.getparent()
        depth += 1
    return "/".join(reversed(parts))


def _document_order(element: HtmlElement) -> int:
    return int(element.sourceline or 0)


def _override_links(
    root: HtmlElement, page_url: str, candidates: list[_Link], selector: str, encoding: str
) -> list[str]:
    if selector.startswith("re:"):
        pattern = re.compile(selector[3:])
        return [link.url for link in candidates if pattern.search(link.url)]
    chosen = _select(root, selector)
    anchors = {id(a) for el in chosen for a in ([el] if el.tag == "a" else el.iter("a"))}
    selected = [link.url for link in candidates if id(link.element) in anchors]
    if selected:
        return selected
    # Selected anchors that are no candidates (chrome, other sites) are taken as the override
    # says, but only http(s) ones: a selected file:// or data: href is never a page to fetch.
    hrefs = (
        request_url(urljoin(page_url, (a.get("href") or "").strip()), encoding)
        for el in chosen
        for a in ([el] if el.tag == "a" else el.iter("a"))
        if a.get("href")
    )
    return [url for url in hrefs if is_http_url(url)]


def _select(root: HtmlElement, selector: str) -> list[HtmlElement]:
    if selector.startswith(("/", "(", ".//")):
        found = root.xpath(selector)
    else:
        found = root.cssselect(selector)
    return [el for el in found if isinstance(el, HtmlElement)]


def find_next_page(
    root: HtmlElement, page_url: str, page_number: int = 1, encoding: str = "utf-8"
) -> str | None:
    """The next list page: a 下一页/next link, the page numbered one higher, or a TRS JS pager
    (the URL to request, for a page written in ``encoding``)."""
    base = _base_url(root, page_url)
    this_page = canonicalize(page_url)
    numbered: str | None = None
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        text = " ".join((anchor.text_content() or "").split()) or (anchor.get("title") or "")
        url = request_url(urljoin(base, href), encoding)
        if not is_http_url(url) or not same_site(url, page_url):
            continue
        if canonicalize(url) == this_page:
            continue
        if _NEXT_TEXT.match(text):
            return url
        match = _PAGE_NUMBER_TEXT.match(text)
        if match and int(match.group(1)) == page_number + 1 and numbered is None:
            numbered = url
    return numbered or _js_pager_next(root, base, encoding)


def _js_pager_next(root: HtmlElement, base: str, encoding: str) -> str | None:
    for script in root.iter("script"):
        match = _JS_PAGER.search(script.text or "")
        if not match:
            continue
        count, current, prefix, ext = match.groups()
        following = int(current) + 1
        if following < int(count):
            url = request_url(urljoin(base, f"{prefix}_{following}.{ext}"), encoding)
            return url if is_http_url(url) else None
    return None


def _pager_urls(links: Iterable[_Link], page_url: str) -> set[str]:
    """URLs of numbered pager links, so they are never mistaken for articles."""
    pager: set[str] = set()
    for link in links:
        if (
            _PAGE_NUMBER_TEXT.match(link.text)
            or _NEXT_TEXT.match(link.text)
            or re.search(
                r"(?:[?&](?:page|p|pn|pageno|pageindex|curpage)=\d+|_\d{1,3}\.s?html?$)",
                link.url,
                re.I,
            )
            and len(link.text) <= 4
        ):
            pager.add(canonicalize(link.url))
    pager.discard(canonicalize(page_url))
    return pager


def _dedupe(urls: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for url in urls:
        key = canonicalize(url)
        if key not in seen:
            seen.add(key)
            result.append(url)
    return result


def parse_html(text: str) -> HtmlElement:
    """Parse HTML leniently into an lxml tree (never raises on junk); deep nesting (unclosed tags
    on old pages) is read to libxml2's huge-tree depth."""
    from lxml import html

    try:
        return html.document_fromstring(text or "<html></html>", parser=_HTML_PARSER)
    except (etree.ParserError, ValueError):
        return html.document_fromstring("<html></html>")
