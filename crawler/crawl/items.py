"""Items passed from the spider through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions
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
    run_id: int | None = None
    options: ExtractOptions = (
        DEFAULT_OPTIONS  # how to read its source (SourceConfig.extract_options)
    )


@dataclass
class ArticleItem:
    """An extracted article with the attachments its page links to."""

    article: NewArticle
    attachments: list[NewAttachment] = field(default_factory=list)


@dataclass
class AttachmentItem:
    """A document found behind an article link (PDF, DOC, XLS, image...)."""

    attachment: NewAttachment


@dataclass
class NotPageItem:
    """An article link whose response was no page (binary content): counted as failed and
    remembered (retried with back-off), never stored as an article."""

    source_id: str
    url: str
    request_url: str
    reason: str
