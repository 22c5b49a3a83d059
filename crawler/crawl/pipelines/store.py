"""Store pipeline: writes extracted articles and attachments to the database in batches, and
remembers the article links that gave no article. New articles whose body is weak (empty, short,
boilerplate only) are counted as ``weak_bodies`` for source health.

A batch is one short write transaction; writes are idempotent (unique canonical URLs, conflict
do-nothing), so a crawl killed between batches and run again stores each article exactly once.
Articles are linked to their source's crawl run (``CrawlTally.run_id``). A ``UrlStateItem`` (a
failed fetch, a gone page, a redirect to a document) and a ``NotPageItem`` (binary content behind
an article link, counted as a failure of its source) are remembered at once, each in its own
transaction, so a later crawl retries the failures with back-off.
Reads ``FORUMWATCH_STORE_BATCH`` (items per transaction), ``FORUMWATCH_STORE_INTERVAL`` (seconds an
item may wait in the buffer) and the store's settings (``crawler.crawl.store``).
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from twisted.internet import task

from crawler.crawl.items import ArticleItem, AttachmentItem, NotPageItem, UrlStateItem
from crawler.crawl.store import CrawlStore
from crawler.crawl.tally import CrawlTally
from crawler.monitor.health import is_weak_body
from storage.models import NewAttachment, UrlRecord

logger = logging.getLogger(__name__)


class StorePipeline:
    """Buffers ArticleItems and AttachmentItems and writes them in batches."""

    def __init__(self, crawler: Crawler, batch_size: int, interval: float) -> None:
        self.crawler = crawler
        self.tally = CrawlTally.of(crawler)
        self.batch_size = max(1, batch_size)
        self.interval = interval
        self._articles: list[ArticleItem] = []
        self._attachments: list[AttachmentItem] = []
        self._timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            crawler,
            settings.getint("FORUMWATCH_STORE_BATCH", 100),
            settings.getfloat("FORUMWATCH_STORE_INTERVAL", 1.0),
        )

    @property
    def store(self) -> CrawlStore:
        """The crawl's store, opened when there is something to write."""
        return CrawlStore.of(self.crawler)

    def open_spider(self) -> None:
        if self.interval > 0:
            self._timer = task.LoopingCall(self.flush)
            self._timer.start(self.interval, now=False)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self._articles.append(item)
        elif isinstance(item, AttachmentItem):
            self._attachments.append(item)
        elif isinstance(item, UrlStateItem):
            self._remember(item)
            return item
        elif isinstance(item, NotPageItem):
            self._not_a_page(item)
            return item
        else:
            return item
        if len(self._articles) + len(self._attachments) >= self.batch_size:
            self.flush()
        return item

    def _remember(self, item: UrlStateItem) -> None:
        self.store.record_urls(
            [
                UrlRecord(
                    canonical_url=item.canonical_url,
                    source_id=item.source_id,
                    state=item.state,
                    http_status=item.http_status,
                    error=item.error,
                    url=item.url,
                )
            ]
        )

    def _not_a_page(self, item: NotPageItem) -> None:
        self.tally.count(item.source_id, "not_page")
        self.tally.error(item.source_id, item.url, item.reason)
        self._remember(UrlStateItem(item.request_url, item.source_id, "error", error=item.reason))

    def flush(self) -> None:
        """Write everything buffered in one transaction; count new and known articles and new
        attachments per source."""
        articles, self._articles = self._articles, []
        attachments, self._attachments = self._attachments, []
        if not articles and not attachments:
            return
        for item in articles:
            if item.article.crawl_run_id is None:
                item.article.crawl_run_id = self.tally.run_id(item.article.source_id)
        stored = self.store.store_batch(
            [(item.article, item.attachments) for item in articles],
            [_attachment(item) for item in attachments],
        )
        for item, article_id in zip(articles, stored.article_ids, strict=True):
            kind = "known_articles" if article_id is None else "new_articles"
            self.tally.count(item.article.source_id, kind)
            if article_id is not None and is_weak_body(item.article.flags):
                self.tally.count(item.article.source_id, "weak_bodies")
        for source_id, new in stored.new_attachments.items():
            self.tally.count(source_id, "attachments", new)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()


def _attachment(item: AttachmentItem) -> NewAttachment:
    return NewAttachment(
        source_id=item.source_id,
        url=item.url,
        canonical_url=item.canonical_url,
        title=item.title,
        content_type=item.content_type,
        size=item.size,
        discovered_at=item.discovered_at,
    )
