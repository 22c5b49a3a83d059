"""Items passed from the spider through the pipelines, and the ``ListedLinks`` it yields to the
seen-URL filter (``crawler.crawl.middlewares.seen``).

What the spider makes holds plain values; storage's record types appear only in what the
extraction builds (``ArticleItem``), so the spider needs nothing of storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions

if TYPE_CHECKING:
    from storage.models import NewArticle, NewAttachment


@dataclass
class PageItem:
    """A fetched article page, not yet extracted."""

    source_id: str
    url: str
    request_url: str
    body: bytes
    fetched_at: datetime
    header_charset: str | None = None
    content_type: str | None = None
    options: ExtractOptions = DEFAULT_OPTIONS
    """How to read its source (``SourceConfig.extract_options``)."""


@dataclass
class ArticleItem:
    """An extracted article with the attachments its page links to."""

    article: NewArticle
    attachments: list[NewAttachment] = field(default_factory=list)


@dataclass
class AttachmentItem:
    """A document found behind a link (PDF, DOC, XLS, image...), stored by the store pipeline."""

    source_id: str
    url: str
    canonical_url: str
    title: str | None = None
    """The link text, when found on a list page."""
    content_type: str | None = None
    size: int | None = None
    discovered_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class NotPageItem:
    """An article link whose response was no page (binary content): counted as failed and
    remembered (retried with back-off), never stored as an article."""

    source_id: str
    url: str
    request_url: str
    reason: str


@dataclass
class UrlStateItem:
    """What happened to an article link that gave no article: it failed (``error``), is gone
    (``gone``: 404, 410) or redirected to a document (``redirect``). The store pipeline remembers
    it, so a later crawl retries a failure once due and never asks for the others again."""

    canonical_url: str
    source_id: str
    state: str
    http_status: int | None = None
    error: str | None = None
    url: str | None = None
    """The URL as requested, when it differs from the canonical one (kept for retries)."""


@dataclass
class ListedLinks:
    """The links one listing (list page, feed or sitemap) found, yielded by the spider as one
    object so that the database is asked once per listing, not once per link.

    The seen-URL filter replaces it by requests for the article links this crawl should fetch
    (neither requested earlier in the crawl nor known to the database, unless failed and due for
    a retry; the first ``limit`` of them) and by the attachments not known yet. It sets
    ``requested`` and ``walked`` before the spider's callback resumes after the ``yield``, so the
    callback can decide whether to read the next list page.
    """

    source_id: str
    articles: dict[str, str] = field(default_factory=dict)
    """Canonical URL -> URL of each article link, in listing order."""
    attachments: dict[str, AttachmentItem] = field(default_factory=dict)
    """Canonical URL -> item of each attachment link."""
    limit: int | None = None
    """Request at most this many articles; the others wait for a later crawl."""
    walk: str | None = None
    """The canonical start URL of the chain of list pages the listing belongs to, if any."""
    requested: int | None = None
    """Set by the filter: how many article requests it made of the links."""
    walked: bool = False
    """Set by the filter: an earlier crawl walked ``walk``'s chain to its end."""
