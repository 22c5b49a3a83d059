"""Seen-URL filter: what earlier crawls did, asked of the database once per listing.

A spider middleware in the manner of scrapy-deltafetch, placed next to the spider
(``SPIDER_MIDDLEWARES``, 950), so that an article already stored is never requested again:

* Each ``ListedLinks`` the spider yields (the links of one list page, feed or sitemap) is replaced
  by requests for the article links this crawl should fetch: not requested earlier in this crawl,
  and unknown to the database or failed and due for a retry (one query), the first
  ``links.limit`` of them (the rest counted as ``articles_deferred``, left for a later crawl);
  the others are counted as ``known_articles``. Attachment links unknown to the database (one
  more query) pass on as their items. Before the callback resumes after its ``yield``, the
  filter answers ``links.requested`` and ``links.walked`` (whether an earlier crawl walked the
  listing's chain of list pages to its end), from which the spider decides whether to read on.
* When the crawl starts, before the spider's first start request: the chains walked by earlier
  crawls are read (``CrawlStore.walked_chains``), and the failed article URLs of each source due
  for a retry (at most ``FORUMWATCH_DUE_RETRIES``, the longest due first) are marked requested;
  their requests follow the spider's start requests, wherever their list pages are. Each start
  request of a chain is marked ``fw_walked`` (meta) when that chain was walked, so it may be asked
  for conditionally.

The spider provides ``sources`` (source id -> ``SourceConfig``) and ``article_request(source_id,
url, key)``; other spiders pass through untouched. Reads ``FORUMWATCH_DUE_RETRIES`` and the store's
settings (``crawler.crawl.store``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol, Self

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler.config import SourceConfig
from crawler.crawl.items import ListedLinks
from crawler.crawl.store import CrawlStore
from crawler.crawl.tally import CrawlTally

logger = logging.getLogger(__name__)


class SourcesSpider(Protocol):
    """What the filter needs of a spider."""

    sources: Mapping[str, SourceConfig]

    def article_request(self, source_id: str, url: str, key: str) -> Request: ...


class SeenUrlFilter:
    """Answers the spider's ``ListedLinks`` with the requests worth making; adds due retries."""

    def __init__(self, crawler: Crawler, due: int) -> None:
        self.crawler = crawler
        self.tally = CrawlTally.of(crawler)
        self.due_limit = due
        self._requested: set[str] = set()
        """Canonical URLs of the articles requested in this crawl."""
        self._walked: set[tuple[str, str]] = set()
        """(source id, start URL) of the chains walked to their end by an earlier crawl."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        due = crawler.settings.getint("FORUMWATCH_DUE_RETRIES", 100)
        return cls(crawler, due)

    @property
    def store(self) -> CrawlStore:
        """The crawl's store, opened when a spider of ours first needs it."""
        return CrawlStore.of(self.crawler)

    @property
    def spider(self) -> SourcesSpider | None:
        spider = self.crawler.spider
        ours = hasattr(spider, "sources") and hasattr(spider, "article_request")
        return spider if ours else None  # type: ignore[return-value]

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider = self.spider
        retries = self._open(spider) if spider is not None else []
        async for request in start:
            walk = getattr(request, "meta", {}).get("walk")
            if walk is not None and spider is not None:
                # for the conditional-request middleware (crawler.crawl.middlewares.conditional)
                request.meta["fw_walked"] = (request.meta.get("fw_source"), walk) in self._walked
            yield request
        for request in retries:
            yield request

    def _open(self, spider: SourcesSpider) -> list[Request]:
        """Read the walked chains and the due retries of the spider's sources."""
        self._walked = self.store.walked_chains(spider.sources.values())
        requests = []
        all_due = self.store.all_due_retries(spider.sources, self.due_limit)
        for source_id in spider.sources:
            due = [
                (key, url) for key, url in all_due.get(source_id, []) if key not in self._requested
            ]
            self._requested.update(key for key, _ in due)
            if due:
                logger.info("retrying %d failed URLs", len(due), extra={"source": source_id})
            requests += [spider.article_request(source_id, url, key) for key, url in due]
        return requests

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for element in result:
            if isinstance(element, ListedLinks):
                # Answered in full before the next element is asked of the callback, which
                # reads the answer when it resumes after yielding the links.
                for output in self._answer(element):
                    yield output
            else:
                yield element

    def _answer(self, links: ListedLinks) -> list[Any]:
        """Fill in ``links.requested`` and ``links.walked``; the requests and items to pass on."""
        spider = self.spider
        if spider is None:
            raise TypeError("ListedLinks yielded by a spider without sources and article_request")
        source_id = links.source_id
        # Marked before anything is passed on: Scrapy interleaves the outputs of concurrent
        # callbacks (a list page and a feed listing the same article), which must not both
        # request it.
        wanted = [key for key in links.articles if key not in self._requested]
        unseen = self.store.unseen(wanted)
        self.tally.count(source_id, "known_articles", len(wanted) - len(unseen))
        if links.limit is not None and len(unseen) > links.limit:
            self.tally.count(source_id, "articles_deferred", len(unseen) - links.limit)
            logger.info(
                "article limit reached: %d new articles left for a later crawl",
                len(unseen) - links.limit,
                extra={"source": source_id},
            )
            unseen = unseen[: links.limit]
        self._requested.update(unseen)
        links.requested = len(unseen)
        links.walked = links.walk is not None and (source_id, links.walk) in self._walked
        outputs: list[Any] = [
            spider.article_request(source_id, links.articles[key], key) for key in unseen
        ]
        outputs += [links.attachments[key] for key in self.store.unseen(list(links.attachments))]
        return outputs
