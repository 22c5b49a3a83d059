"""From a fetched page to a storable article: extraction, hashing and compression in one call.

Runs in extraction worker processes (``crawler.pipelines.extract``) and in ``reextract``; pure
apart from the models it fills.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from datetime import UTC, datetime

from crawler.extraction import ExtractedArticle, extract_article
from crawler.items import ArticleItem, PageItem
from crawler.urls import canonicalize, is_attachment_url
from storage.models import NewArticle, NewAttachment

logger = logging.getLogger(__name__)

COMPRESSION_LEVEL = 6


def content_hash(text: str) -> str:
    """Hex SHA-256 of an article's text (whitespace runs folded, so reflowed copies match)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def compress_html(body: bytes) -> bytes:
    return zlib.compress(body, COMPRESSION_LEVEL)


def decompress_html(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def safe_extract(
    body: bytes, url: str, header_charset: str | None, override: str | None
) -> ExtractedArticle:
    """extract_article, with any unexpected failure logged and turned into an empty article."""
    try:
        return extract_article(body, url, header_charset=header_charset, override_encoding=override)
    except Exception:  # one bad page must not stop a crawl
        logger.exception("extraction failed", extra={"url": url})
        return ExtractedArticle(
            title=None,
            text="",
            published_on=None,
            published_at=None,
            author=None,
            origin=None,
            site_name=None,
            language=None,
            encoding=override or "utf-8",
            attachments=(),
        )


def build_article(page: PageItem) -> ArticleItem:
    """Extract a fetched page into an ArticleItem ready for the store pipeline."""
    extracted = safe_extract(page.body, page.url, page.header_charset, page.encoding_override)
    key = canonicalize(page.url)
    article = NewArticle(
        source_id=page.source_id,
        url=page.url,
        canonical_url=key,
        request_canonical_url=page.request_url if page.request_url != key else None,
        title=extracted.title,
        text=extracted.text,
        published_on=extracted.published_on,
        published_at=extracted.published_at,
        author=extracted.author,
        origin=extracted.origin,
        site_name=extracted.site_name,
        language=extracted.language,
        encoding=extracted.encoding,
        fetched_at=page.fetched_at,
        extracted_at=datetime.now(UTC),
        content_hash=content_hash(extracted.text),
        crawl_run_id=page.run_id,
        raw_html_compressed=compress_html(page.body),
        content_type=page.content_type,
        header_charset=page.header_charset,
    )
    attachments = [
        NewAttachment(
            source_id=page.source_id,
            url=url,
            canonical_url=canonicalize(url),
            title=title or None,
            discovered_at=page.fetched_at,
        )
        for url, title in extracted.attachments
        if is_attachment_url(url)
    ]
    return ArticleItem(article=article, attachments=attachments)
