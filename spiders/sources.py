"""The generic source spider: one crawl over every configured source, list pages to articles.

Each source's start URLs may be list/column pages, RSS/Atom feeds or sitemaps. List pages give
article links (``crawler.discover.links``) and the next list page; an article URL already known to the
database is never requested again. Pagination stops at the first page with nothing unseen once
the start URL's chain of list pages has been walked to its end by a crawl that finished
(``SourceWalk``); until then every crawl walks the whole chain, so a killed backfill resumes.
Article pages become ``PageItem``s for the extraction and store pipelines; documents found behind
article links become ``AttachmentItem``s. Failures are counted per source and remembered per URL;
failed article URLs due for a retry are requested again at the start of each crawl, wherever
their list pages are.

Settings: ``FORUMWATCH_DATABASE_URL``, ``FORUMWATCH_STALE_RUN_HOURS``, ``FORUMWATCH_URL_RETRY_BASE``
(first delay before a failed URL is retried) and ``FORUMWATCH_DUE_RETRIES`` (at most this many
due failed URLs per source and crawl).
"""

from __future__ import annotations

import logging
from collections import Counter
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
from crawler.crawl import processes
from crawler.crawl.items import AttachmentItem, PageItem
from crawler.crawl.middlewares.robots import RobotsUnavailable
from crawler.crawl.store import CrawlStore
from crawler.crawl.tally import CrawlTally
from crawler.discover.feeds import FeedKind, parse_feed
from crawler.discover.links import discover, filter_listed_urls, parse_html
from crawler.discover.urls import canonicalize, is_attachment_url
from crawler.extract.content import (
    NOT_A_PAGE,
    header_charset,
    is_document,
    is_page,
    looks_binary_type,
)
from crawler.extract.encoding import decode_html
from storage.models import NewAttachment, SourceWalk, UrlRecord, WalkEnd

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
        self._sitemaps_followed: Counter[str] = Counter()
        self._sitemap_articles: Counter[str] = Counter()
        self._walked: set[tuple[str, str]] = set()
        """(source id, start URL) of the chains walked to their end by an earlier crawl."""
        self._walk_ends: dict[tuple[str, str], SourceWalk] = {}
        """Chains this crawl walked to their end; recorded if the crawl finishes."""
        self._item_errors = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        retry_base = crawler.settings.getfloat("FORUMWATCH_URL_RETRY_BASE", 3600)
        spider.store = CrawlStore.open(
            crawler.settings["FORUMWATCH_DATABASE_URL"], retry_base=timedelta(seconds=retry_base)
        )
        spider.tally = CrawlTally(list(spider.sources))
        crawler.signals.connect(spider._on_headers, signal=signals.headers_received)
        crawler.signals.connect(spider._on_item_error, signal=signals.item_error)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if self.crawler.stats is not None:
            self.tally.bind_stats(self.crawler.stats)
        self.store.sync_sources(self.sources.values())
        stale = timedelta(hours=self.crawler.settings.getfloat("FORUMWATCH_STALE_RUN_HOURS", 12))
        self.run_ids = self.store.start_runs(
            self.sources, stale_after=stale, process=processes.this_process()
        )
        self._walked = self.store.walked_chains(self.sources.values())
        retries = self._due_retries()
        for source in self.sources.values():
            for url in source.start_urls:
                key = canonicalize(url)
                self._lists_seen.add(key)
                yield self._request(source.id, url, LIST, self.parse_start, page=1, walk=key)
        for request in retries:
            yield request

    def _due_retries(self) -> list[Request]:
        """Requests for the failed article URLs due for a retry, up to the per-source limit:
        their list pages may lie beyond where a routine crawl stops."""
        limit = self.crawler.settings.getint("FORUMWATCH_DUE_RETRIES", 100)
        requests = []
        for source in self.sources.values():
            due = [
                (key, url)
                for key, url in self.store.due_retries(source.id, limit)
                if key not in self._scheduled
            ]
            self._scheduled.update(key for key, _ in due)
            if due:
                logger.info("retrying %d failed URLs", len(due), extra={"source": source.id})
            requests += [
                self._request(source.id, url, ARTICLE, self.parse_article, link=key)
                for key, url in due
            ]
        return requests

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
        self._end_walk(response, "end")
        self.tally.count(source.id, "list_pages")
        if feed.skipped:
            self.tally.count(source.id, "sitemap_entries_cut", feed.skipped)
            logger.warning(
                "sitemap too long: %d entries not read",
                feed.skipped,
                extra={"source": source.id, "url": response.url},
            )
        depth = int(response.meta.get("sitemap_depth", 0))
        yield from self._follow_sitemaps(source, feed.sitemaps, depth, response.url)
        if feed.kind is not FeedKind.SITEMAP:
            yield from self._schedule_articles(source, feed.articles)
            return
        articles = filter_listed_urls(feed.articles, source.article_links)
        budget = self.settings.getint("FORUMWATCH_SITEMAP_MAX_ARTICLES", 1000)
        room = max(0, budget - self._sitemap_articles[source.id])
        taken = yield from self._schedule_articles(source, articles, limit=room)
        self._sitemap_articles[source.id] += taken

    def _follow_sitemaps(
        self, source: SourceConfig, urls: list[str], depth: int, index_url: str
    ) -> Iterable[Request]:
        """Request an index's child sitemaps, within ``FORUMWATCH_SITEMAP_MAX_DEPTH`` levels of
        index below a start URL and ``FORUMWATCH_SITEMAP_MAX_COUNT`` sitemaps per source and
        crawl; the others are counted as ``sitemaps_cut``. A chain of indexes that each point to
        a new index (a trap, or a broken generator) ends at either limit."""
        fresh = {canonicalize(url): url for url in urls}
        for key in self._lists_seen.intersection(fresh):
            del fresh[key]
        max_depth = self.settings.getint("FORUMWATCH_SITEMAP_MAX_DEPTH", 3)
        max_count = self.settings.getint("FORUMWATCH_SITEMAP_MAX_COUNT", 100)
        room = 0 if depth >= max_depth else max(0, max_count - self._sitemaps_followed[source.id])
        if len(fresh) > room:
            self.tally.count(source.id, "sitemaps_cut", len(fresh) - room)
            logger.warning(
                "sitemap index limits reached (depth %d of %d, %d of %d sitemaps): %d not followed",
                depth,
                max_depth,
                self._sitemaps_followed[source.id],
                max_count,
                len(fresh) - room,
                extra={"source": source.id, "url": index_url},
            )
        for key, url in list(fresh.items())[:room]:
            self._lists_seen.add(key)
            self._sitemaps_followed[source.id] += 1
            yield self._request(
                source.id, url, LIST, self.parse_start, page=1, sitemap_depth=depth + 1
            )

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
        walk = response.meta.get("walk")
        if not report.next_page:
            self._end_walk(response, "end")
            return
        if unseen == 0 and (walk is None or (source.id, walk) in self._walked):
            return
        if page >= source.max_list_pages:
            logger.info("max_list_pages reached", extra={"source": source.id, "url": response.url})
            self._end_walk(response, "limit")
            return
        key = canonicalize(report.next_page)
        if key in self._lists_seen:
            self._end_walk(response, "cycle")
            return
        self._lists_seen.add(key)
        yield self._request(
            source.id, report.next_page, LIST, self.parse_list, page=page + 1, walk=walk
        )

    def _end_walk(self, response: Response, ended_by: WalkEnd) -> None:
        """Note that the chain of list pages ``response`` belongs to ends here."""
        walk = response.meta.get("walk")
        if walk is None:
            return
        source = self.sources[response.meta["fw_source"]]
        self._walk_ends[(source.id, walk)] = SourceWalk(
            source_id=source.id,
            start_url=walk,
            completed_at=datetime.now(UTC),
            ended_by=ended_by,
            pages=int(response.meta.get("page", 1)),
            max_list_pages=source.max_list_pages,
        )

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

    def _schedule_articles(
        self, source: SourceConfig, urls: list[str], *, limit: int | None = None
    ) -> Any:
        """Request the unseen article URLs, the first ``limit`` of them if given (the others
        wait for a later crawl, counted as ``articles_deferred``); returns how many were
        requested (generator return)."""
        wanted: dict[str, str] = {}
        for url in urls:
            key = self._key(source.id, url)
            if is_attachment_url(url) or key in self._scheduled or key in wanted:
                continue
            wanted[key] = url
        unseen = self.store.unseen(list(wanted))
        self.tally.count(source.id, "known_articles", len(wanted) - len(unseen))
        if limit is not None and len(unseen) > limit:
            self.tally.count(source.id, "articles_deferred", len(unseen) - limit)
            logger.info(
                "article limit reached: %d new articles left for a later crawl",
                len(unseen) - limit,
                extra={"source": source.id},
            )
            unseen = unseen[:limit]
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
        page = is_page(content_type, response.body)
        if not page and not is_document(content_type, response.body):
            # Garbage served as a page (random bytes, an executable): a bad response, counted
            # and retried with back-off, never stored.
            self.tally.count(source_id, "not_page")
            self.tally.error(source_id, response.url, NOT_A_PAGE)
            self.store.record_urls(
                [UrlRecord(link_key, source_id, "error", response.status, NOT_A_PAGE)]
            )
            return
        if not page:
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
            run_id=self.run_ids.get(source_id),
            options=self.sources[source_id].extract_options(),
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
        if failure.check(RobotsUnavailable):
            # The host's server failed, not its rules: a failure of this crawl, not remembered
            # per URL, so the next crawl asks for robots.txt and the page again.
            self.tally.count(source_id, "robots_unavailable")
            self.tally.error(source_id, request.url, message)
            return
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
                        url=request.meta.get("redirect_urls", [request.url])[0],
                    )
                ]
            )

    def _on_item_error(self, item: Any, response: Any, spider: Any, failure: Failure) -> None:
        # A pipeline failed (a store batch may be lost): no walk of this crawl counts as done.
        self._item_errors += 1

    def closed(self, reason: str) -> None:
        # Walks count only when the crawl finished: every article their pages listed was
        # stored or remembered as failed. A walk cut short by a kill is walked again.
        if reason == "finished" and not self._item_errors:
            try:
                self.store.record_walks(list(self._walk_ends.values()))
            except Exception:  # the runs below must still be closed; the walk is redone
                logger.exception("walks not recorded")
        elif self._walk_ends:
            logger.warning(
                "walks not recorded: crawl %s, %d item errors", reason, self._item_errors
            )
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
