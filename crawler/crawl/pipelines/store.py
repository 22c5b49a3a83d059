"""Store pipeline: writes extracted articles and attachments to the database in batches.

A batch is one short write transaction; writes are idempotent (unique canonical URLs, conflict
do-nothing), so a crawl killed between batches and run again stores each article exactly once.
Reads ``FORUMWATCH_STORE_BATCH`` (items per transaction) and ``FORUMWATCH_STORE_INTERVAL``
(seconds an item may wait in the buffer).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from twisted.internet import task

from crawler.crawl.items import ArticleItem, AttachmentItem

logger = logging.getLogger(__name__)


class StorePipeline:
    """Buffers ArticleItems and AttachmentItems and writes them in batches."""

    def __init__(self, crawler: Crawler, batch_size: int, interval: float) -> None:
        self.crawler = crawler
        self.batch_size = max(1, batch_size)
        self.interval = interval
        self._articles: list[ArticleItem] = []
        self._attachments: list[AttachmentItem] = []
        self._timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        return cls(
            crawler,
            settings.getint("FORUMWATCH_STORE_BATCH", 100),
            settings.getfloat("FORUMWATCH_STORE_INTERVAL", 1.0),
        )

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def open_spider(self) -> None:
        if self.interval > 0:
            self._timer = task.LoopingCall(self.flush)
            self._timer.start(self.interval, now=False)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self._articles.append(item)
        elif isinstance(item, AttachmentItem):
            self._attachments.append(item)
        else:
            return item
        if len(self._articles) + len(self._attachments) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        """Write everything buffered in one transaction; count new and known articles and new
        attachments per source."""
        articles, self._articles = self._articles, []
        attachments, self._attachments = self._attachments, []
        if not articles and not attachments:
            return
        tally = self.spider.tally
        stored = self.spider.store.store_batch(
            [(item.article, item.attachments) for item in articles],
            [item.attachment for item in attachments],
        )
        for item, article_id in zip(articles, stored.article_ids, strict=True):
            kind = "known_articles" if article_id is None else "new_articles"
            tally.count(item.article.source_id, kind)
        for source_id, new in stored.new_attachments.items():
            tally.count(source_id, "attachments", new)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()
