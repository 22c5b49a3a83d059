"""Reading RSS, Atom and XML sitemaps: which start URLs are feeds, and what they link to.

Pure: bytes in, URLs out. Namespaces are ignored (sites mix them freely). A sitemap lists its
entries newest ``<lastmod>`` first (undated ones after, in document order), so a caller that takes
only part of a long sitemap takes the newest; at most ``MAX_SITEMAP_ENTRIES`` entries are read
from one file.
Only absolute http(s) URLs come out: a feed entry naming ``file:``, ``data:``, ``ftp:`` or any
other scheme is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from urllib.parse import urljoin

from lxml import etree

from crawler.discover.urls import is_http_url

# The sitemaps.org limit per file (50,000 URLs): a longer sitemap is read up to it, the rest counted.
MAX_SITEMAP_ENTRIES = 50_000

_SNIFF = re.compile(rb"<(?:[\w-]+:)?(rss|feed|urlset|sitemapindex|rdf:RDF|RDF)[\s>]", re.I)


class FeedKind(Enum):
    RSS = "rss"
    ATOM = "atom"
    SITEMAP = "sitemap"
    SITEMAP_INDEX = "sitemapindex"


@dataclass
class FeedLinks:
    """Entries of a feed or sitemap: article URLs, and child sitemaps for an index."""

    kind: FeedKind
    articles: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    skipped: int = 0
    """Sitemap entries beyond ``MAX_SITEMAP_ENTRIES``, not read."""


def sniff_feed(body: bytes) -> FeedKind | None:
    """The feed kind when the body is an RSS/Atom feed or a sitemap, else None."""
    head = body[:2048].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head[:5].lower() == b"<html" or b"<html" in head[:512].lower():
        return None
    match = _SNIFF.search(head)
    if not match:
        return None
    root = match.group(1).lower()
    if root in (b"rss", b"rdf:rdf", b"rdf"):
        return FeedKind.RSS
    if root == b"feed":
        return FeedKind.ATOM
    if root == b"urlset":
        return FeedKind.SITEMAP
    return FeedKind.SITEMAP_INDEX


def parse_feed(body: bytes, base_url: str) -> FeedLinks | None:
    """Parse a feed or sitemap; None when the body is not one (or is unreadable XML)."""
    kind = sniff_feed(body)
    if kind is None:
        return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body.lstrip(), parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    links = FeedLinks(kind=kind)
    if kind is FeedKind.RSS:
        links.articles = _rss_links(root, base_url)
    elif kind is FeedKind.ATOM:
        links.articles = _atom_links(root, base_url)
    elif kind is FeedKind.SITEMAP:
        links.articles, links.skipped = _sitemap_entries(root, "url", base_url)
    else:
        links.sitemaps, links.skipped = _sitemap_entries(root, "sitemap", base_url)
    links.articles = [url for url in links.articles if is_http_url(url)]
    links.sitemaps = [url for url in links.sitemaps if is_http_url(url)]
    return links


def _rss_links(root: etree._Element, base_url: str) -> list[str]:
    urls: list[str] = []
    for item in root.xpath("//*[local-name()='item']"):
        link = item.xpath("string(*[local-name()='link'])").strip()
        if not link:
            guid = item.xpath("*[local-name()='guid']")
            if guid and (guid[0].get("isPermaLink") or "true").lower() != "false":
                link = (guid[0].text or "").strip()
        if link:
            urls.append(urljoin(base_url, link))
    return urls


def _atom_links(root: etree._Element, base_url: str) -> list[str]:
    urls: list[str] = []
    for entry in root.xpath("//*[local-name()='entry']"):
        hrefs = entry.xpath(
            "*[local-name()='link'][not(@rel) or @rel='alternate']/@href"
        ) or entry.xpath("*[local-name()='link']/@href")
        if hrefs:
            urls.append(urljoin(base_url, str(hrefs[0]).strip()))
    return urls


def _sitemap_entries(
    root: etree._Element, element: str, base_url: str, limit: int = MAX_SITEMAP_ENTRIES
) -> tuple[list[str], int]:
    """The ``<loc>`` of each ``<url>`` (or ``<sitemap>``), newest ``<lastmod>`` first, at most
    ``limit``; and how many entries were left unread beyond it."""
    entries: list[tuple[str, float | None]] = []
    skipped = 0
    for node in root.iter(f"{{*}}{element}"):
        if len(entries) >= limit:
            skipped += 1
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        try:
            url = urljoin(base_url, loc)
        except ValueError:  # e.g. a broken IPv6 literal
            continue
        entries.append((url, _timestamp(_child_text(node, "lastmod"))))
    entries.sort(key=lambda entry: (entry[1] is None, -(entry[1] or 0.0)))
    return [url for url, _ in entries], skipped


def _child_text(node: etree._Element, name: str) -> str:
    for child in node:
        if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == name:
            return (child.text or "").strip()
    return ""


def _timestamp(text: str) -> float | None:
    """A W3C datetime (``2024-11-04``, ``2024-11-04T08:00:00+08:00``) as a POSIX time, else None."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    except (ValueError, OverflowError):
        return None
