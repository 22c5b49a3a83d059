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

from crawler.items import ArticleItem, AttachmentItem
from storage.models import NewAttachment

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
        """Write everything buffered; count new and already-known articles per source."""
        articles, self._articles = self._articles, []
        attachments, self._attachments = self._attachments, []
        if articles:
            self._store_articles(articles)
        if attachments:
            self._store_attachments([item.attachment for item in attachments])

    def _store_articles(self, items: list[ArticleItem]) -> None:
        store, tally = self.spider.store, self.spider.tally
        ids = store.store_articles([item.article for item in items])
        linked: list[NewAttachment] = []
        for item, article_id in zip(items, ids, strict=True):
            source_id = item.article.source_id
            if article_id is None:
                tally.count(source_id, "known_articles")
                continue
            tally.count(source_id, "new_articles")
            for attachment in item.attachments:
                linked.append(attachment.model_copy(update={"article_id": article_id}))
        if linked:
            self._store_attachments(linked)

    def _store_attachments(self, attachments: list[NewAttachment]) -> None:
        by_source: dict[str, dict[str, NewAttachment]] = {}
        for attachment in attachments:
            by_source.setdefault(attachment.source_id, {})[attachment.canonical_url] = attachment
        for source_id, unique in by_source.items():
            new = self.spider.store.store_attachments(list(unique.values()))
            self.spider.tally.count(source_id, "attachments", new)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()
