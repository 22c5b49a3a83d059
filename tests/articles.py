"""Articles as forumwatch stores them (normalized, analysed, MinHash-signed), built from labelled
text entries: shared by the story tests and ``bench/dedup.py``."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crawler.crawl.article_builder import article_content
from crawler.extract.extraction import ExtractedArticle
from storage.models import NewArticle

FETCHED = datetime(2025, 1, 1, tzinfo=UTC)


def new_article(entry: dict[str, Any], source: str, order: int) -> NewArticle:
    """The article of ``entry`` (``id``, ``title``, ``text``, optional ``published``) on
    ``http://<source>.example/<id>.html``, fetched ``order`` minutes after ``FETCHED``."""
    extracted = ExtractedArticle(
        title=entry["title"],
        text=entry["text"].strip(),
        published_on=date.fromisoformat(str(entry["published"]))
        if entry.get("published")
        else None,
        published_at=None,
        author=None,
        origin=None,
        site_name=None,
        language="zh",
        encoding="utf-8",
        attachments=(),
    )
    fetched = FETCHED + timedelta(minutes=order)
    url = f"http://{source}.example/{entry['id']}.html"
    return NewArticle(
        source_id=source,
        url=url,
        canonical_url=url,
        fetched_at=fetched,
        raw_html_compressed=zlib.compress(entry["text"].encode()),
        **article_content(extracted, fetched_at=fetched),
    )
