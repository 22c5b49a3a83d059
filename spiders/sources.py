"""The generic source spider: one crawl over every configured source, list pages to articles.

Each source's start URLs may be list/column pages, RSS/Atom feeds or sitemaps. List pages give
article links (``crawler.discovery``) and the next list page; an article URL already known to the
database is never requested again, and pagination stops at the first page with nothing unseen.
Article pages become ``PageItem``s for the extraction and store pipelines; documents found behind
article links become ``AttachmentItem``s. Failures are counted per source and remembered per URL.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.config import SourceConfig
from crawler.content import header_charset, is_page, looks_binary_type
from crawler.crawl_store import CrawlStore
from crawler.discovery import discover, filter_listed_urls, parse_html
from crawler.encoding import decode_html
from crawler.feeds import FeedKind, parse_feed
from crawler.items import AttachmentItem, PageItem
from crawler.tally import CrawlTally
from crawler.urls import canonicalize, is_attachment_url
from storage.models import NewAttachment, UrlRecord

logger = logging.getLogger(__name__)

LIST, ARTICLE = "list", "article"


class SourceSpider(scrapy.Spider):
    """Crawls the given sources for new articles."""

    name = "forumwatch"
    store: CrawlStore
    tally: CrawlTally

    def __init__(self, sources: Iterable[SourceConfig], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sources = {source.id: source for source in sources}
        self.run_ids: dict[str, int] = {}
        self._scheduled: set[str] = set()
        self._lists_seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.store = CrawlStore.open(crawler.settings["FORUMWATCH_DATABASE_URL"])
        spider.tally = CrawlTally(list(spider.sources))
        crawler.signals.connect(spider._on_headers, signal=signals.headers_received)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if self.crawler.stats is not None:
            self.tally.bind_stats(self.crawler.stats)
        self.store.sync_sources(self.sources.values())
        stale = timedelta(hours=self.crawler.settings.getfloat("FORUMWATCH_STALE_RUN_HOURS", 12))
        self.run_ids = self.store.start_runs(self.sources, stale_after=stale)
        for source in self.sources.values():
            for url in source.start_urls:
                self._lists_seen.add(canonicalize(url))
                yield self._request(source.id, url, LIST, self.parse_start, page=1)

    def _request(self, source_id: str, url: str, kind: str, callback: Any, **meta: Any) -> Request:
        meta.update(fw_source=source_id, fw_kind=kind)
        # Every request bypasses the dupe filter (the database and _scheduled dedupe articles,
        # _lists_seen list pages) so a redirect or meta-refresh loop ends in an error we can
        # count, and a start URL shared by two sources is read for each, instead of a silent drop.
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            meta=meta,
            dont_filter=True,
            priority=10 if kind == ARTICLE else 0,
        )

    # -- list pages, feeds, sitemaps ----------------------------------------------------------

    def parse_start(self, response: Response) -> Iterable[Any]:
        source = self.sources[response.meta["fw_source"]]
        feed = parse_feed(response.body, response.url)
        if feed is None:
            yield from self.parse_list(response)
            return
        self.tally.count(source.id, "list_pages")
        for sitemap in feed.sitemaps:
            if canonicalize(sitemap) not in self._lists_seen:
                self._lists_seen.add(canonicalize(sitemap))
                yield self._request(source.id, sitemap, LIST, self.parse_start, page=1)
        articles = feed.articles
        if feed.kind is FeedKind.SITEMAP:
            articles = filter_listed_urls(articles, source.article_links)
        yield from self._schedule_articles(source, articles)

    def parse_list(self, response: Response) -> Iterable[Any]:
        source = self.sources[response.meta["fw_source"]]
        self.tally.count(source.id, "list_pages")
        page = int(response.meta.get("page", 1))
        report = discover(
            self._tree(response, source),
            response.url,
            page_number=page,
            article_links=source.article_links,
        )
        unseen = yield from self._schedule_articles(source, report.articles)
        yield from self._list_attachments(source, report.attachments)
        if not report.next_page or unseen == 0:
            return
        if page >= source.max_list_pages:
            logger.info("max_list_pages reached", extra={"source": source.id, "url": response.url})
            return
        key = canonicalize(report.next_page)
        if key not in self._lists_seen:
            self._lists_seen.add(key)
            yield self._request(source.id, report.next_page, LIST, self.parse_list, page=page + 1)

    def _tree(self, response: Response, source: SourceConfig) -> Any:
        if isinstance(response, TextResponse) and not source.encoding:
            root = response.selector.root
            if hasattr(root, "iter") and hasattr(root, "text_content"):
                return root
        text, _ = decode_html(
            response.body,
            header_charset=header_charset(response.headers.get("Content-Type")),
            override=source.encoding,
        )
        return parse_html(text)

    def _key(self, source_id: str, url: str) -> str:
        """An article or attachment URL's canonical form, with the source's host folding."""
        return canonicalize(url, self.sources[source_id].fold_hosts)

    def _schedule_articles(self, source: SourceConfig, urls: list[str]) -> Any:
        """Request the unseen article URLs; returns how many were unseen (generator return)."""
        wanted: dict[str, str] = {}
        for url in urls:
            key = self._key(source.id, url)
            if is_attachment_url(url) or key in self._scheduled or key in wanted:
                continue
            wanted[key] = url
        unseen = self.store.unseen(list(wanted))
        self.tally.count(source.id, "known_articles", len(wanted) - len(unseen))
        # Marked before the first yield: Scrapy interleaves the outputs of concurrent callbacks
        # (a list page and a feed listing the same article), and a key added only as its request
        # is yielded lets the other callback schedule the same article a second time.
        self._scheduled.update(unseen)
        for key in unseen:
            yield self._request(source.id, wanted[key], ARTICLE, self.parse_article, link=key)
        return len(unseen)

    def _list_attachments(
        self, source: SourceConfig, found: list[tuple[str, str]]
    ) -> Iterable[Any]:
        by_key = {self._key(source.id, url): (url, title) for url, title in found}
        for key in self.store.unseen(list(by_key)):
            url, title = by_key[key]
            yield AttachmentItem(_attachment(source.id, url, key, title=title or None))

    # -- article pages ------------------------------------------------------------------------

    def _on_headers(self, headers: Any, body_length: int, request: Request, spider: Any) -> None:
        """Stop downloading documents behind article links once the headers say what they are."""
        if request.meta.get("fw_kind") == ARTICLE and looks_binary_type(
            headers.get("Content-Type")
        ):
            raise StopDownload(fail=False)

    def parse_article(self, response: Response) -> Iterable[Any]:
        source_id = response.meta["fw_source"]
        content_type = response.headers.get("Content-Type")
        fetched_at = datetime.now(UTC)
        link_key = response.meta.get("link") or self._key(source_id, response.url)
        if not is_page(content_type, response.body):
            size = response.headers.get("Content-Length")
            attachment = _attachment(
                source_id,
                response.url,
                self._key(source_id, response.url),
                content_type=(content_type or b"").decode("latin-1") or None,
                size=int(size) if size and size.isdigit() else len(response.body),
            )
            self._remember_redirect(source_id, link_key, response.url)
            yield AttachmentItem(attachment)
            return
        yield PageItem(
            source_id=source_id,
            url=response.url,
            request_url=link_key,
            body=response.body,
            fetched_at=fetched_at,
            header_charset=header_charset(content_type),
            content_type=(content_type or b"").decode("latin-1") or None,
            encoding_override=self.sources[source_id].encoding,
            run_id=self.run_ids.get(source_id),
            keep_traditional=self.sources[source_id].keep_traditional,
            source_name=self.sources[source_id].name,
            fold_hosts=tuple(self.sources[source_id].fold_hosts),
        )

    def _remember_redirect(self, source_id: str, link_key: str, final_url: str) -> None:
        if self._key(source_id, final_url) != link_key:
            self.store.record_urls(
                [UrlRecord(canonical_url=link_key, source_id=source_id, state="redirect")]
            )

    # -- failures -------------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        source_id = request.meta["fw_source"]
        status, message = _describe_failure(failure)
        if failure.check(IgnoreRequest) and "robots.txt" in message:
            self.tally.count(source_id, "blocked_by_robots")
            return
        logger.warning("fetch failed: %s", message, extra={"source": source_id, "url": request.url})
        self.tally.error(source_id, request.url, message)
        if request.meta.get("fw_kind") == ARTICLE:
            state = "gone" if status in (404, 410) else "error"
            self.store.record_urls(
                [
                    UrlRecord(
                        canonical_url=request.meta.get("link") or self._key(source_id, request.url),
                        source_id=source_id,
                        state=state,
                        http_status=status,
                        error=message[:500],
                    )
                ]
            )

    def closed(self, reason: str) -> None:
        for source_id, run_id in self.run_ids.items():
            tally = self.tally.sources[source_id]
            status = tally.status() if reason == "finished" else "interrupted"
            self.store.finish_run(run_id, status, dict(tally.counts), tally.errors)


def _describe_failure(failure: Failure) -> tuple[int | None, str]:
    if failure.check(HttpError):
        response = failure.value.response  # type: ignore[union-attr]
        return response.status, f"HTTP {response.status}"
    error = failure.value
    text = str(error) or type(error).__name__
    return None, f"{type(error).__name__}: {text}" if str(error) else text


def _attachment(
    source_id: str,
    url: str,
    key: str,
    *,
    title: str | None = None,
    content_type: str | None = None,
    size: int | None = None,
) -> NewAttachment:
    return NewAttachment(
        source_id=source_id,
        url=url,
        canonical_url=key,
        title=title,
        content_type=content_type,
        size=size,
        discovered_at=datetime.now(UTC),
    )
