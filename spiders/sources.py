"""The generic source spider: one crawl over the configured sources, list pages to articles.

Its sources come from the forumwatch config (``crawler.crawl.configure.crawl_config``): all of
them, or those named by the ``sources`` argument (``scrapy crawl forumwatch -a sources=a,b``;
``forumwatch crawl a b`` passes the same). The spider makes requests and items only; what the
database knows reaches it through the crawl's components, wired in ``settings.py``:

* Each source's start URLs may be list/column pages, RSS/Atom feeds or sitemaps. List pages give
  article links (``crawler.discover.links``) and the next list page. The links of one listing are
  yielded together as ``ListedLinks``; the seen-URL filter (``crawler.crawl.middlewares.seen``)
  turns them into requests for the articles not known to the database and answers how many it
  requested, and whether the listing's chain was walked before. Pagination stops at the first
  page with nothing unseen once the start URL's chain of list pages has been walked to its end by
  a crawl that finished; until then every crawl walks the whole chain, so a killed backfill
  resumes. Where a walk ends is signalled (``crawler.crawl.signals.walk_ended``) to the run
  recorder (``crawler.crawl.extensions.runs``), which records it if the crawl finishes.
* A start URL of a walked chain may be asked for conditionally
  (``crawler.crawl.middlewares.conditional``): a 304 counts as a list page read and as
  ``not_modified``, and nothing else happens. A start URL read in full signals its validators
  (``crawler.crawl.signals.list_validated``) unless it is a sitemap index or a sitemap whose
  articles were deferred. ``list_links`` counts the article links found on list pages and feeds.
* Article pages become ``PageItem``s for the extraction and store pipelines; documents found
  behind article links become ``AttachmentItem``s. Failures are counted per source in the
  crawl's ``CrawlTally`` and yielded as ``UrlStateItem``s, which the store pipeline remembers per
  URL; the seen-URL filter requests failed article URLs again once due, wherever their list
  pages are.

Settings: ``FORUMWATCH_SITEMAP_MAX_DEPTH``, ``FORUMWATCH_SITEMAP_MAX_COUNT`` and
``FORUMWATCH_SITEMAP_MAX_ARTICLES`` (sitemap limits per source and crawl), and the config's
(``FORUMWATCH_CONFIG``, see ``crawler.crawl.configure``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.config import ConfigError, SourceConfig
from crawler.crawl.configure import crawl_config
from crawler.crawl.items import AttachmentItem, ListedLinks, PageItem, UrlStateItem
from crawler.crawl.middlewares.conditional import validators_of
from crawler.crawl.middlewares.robots import RobotsUnavailable
from crawler.crawl.signals import list_validated, walk_ended
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

logger = logging.getLogger(__name__)

LIST, ARTICLE = "list", "article"


class SourceSpider(scrapy.Spider):
    """Crawls the configured sources (or those named by ``sources``) for new articles."""

    name = "forumwatch"
    tally: CrawlTally

    def __init__(self, sources: str | Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_ids = _source_ids(sources)
        """The ids asked for (none: every configured source)."""
        self.sources: dict[str, SourceConfig] = {}
        """The sources crawled, by id; read by the seen-URL filter and the run recorder."""
        self._lists_seen: set[str] = set()
        self._sitemaps_followed: Counter[str] = Counter()
        self._sitemap_articles: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        selected = crawl_config(crawler).select(spider.source_ids)
        if not selected:
            raise ConfigError("no sources configured")
        spider.sources = {source.id: source for source in selected}
        spider.tally = CrawlTally.of(crawler)
        crawler.signals.connect(spider._on_headers, signal=signals.headers_received)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        # The seen-URL filter follows these with the failed article URLs due for a retry.
        for source in self.sources.values():
            for url in source.start_urls:
                key = canonicalize(url)
                self._lists_seen.add(key)
                yield self._request(source.id, url, LIST, self.parse_start, page=1, walk=key)

    def article_request(self, source_id: str, url: str, key: str) -> Request:
        """The request for an article link (``key``: its canonical URL); the seen-URL filter
        makes one for each link it lets through."""
        return self._request(source_id, url, ARTICLE, self.parse_article, link=key)

    def _request(self, source_id: str, url: str, kind: str, callback: Any, **meta: Any) -> Request:
        meta.update(fw_source=source_id, fw_kind=kind)
        # Every request bypasses the dupe filter (the seen-URL filter dedupes articles,
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
        if response.status == 304:
            # Only a conditional request accepts a 304 (crawler.crawl.middlewares.conditional):
            # the page is as an earlier finished crawl read it, its chain walked. Nothing to do.
            self.tally.count(source.id, "list_pages")
            self.tally.count(source.id, "not_modified")
            return
        feed = parse_feed(response.body, response.url)
        if feed is None:
            yield from self.parse_list(response)
            return
        self._end_walk(response, "end")
        self.tally.count(source.id, "list_pages")
        self.tally.count(source.id, "list_links", len(feed.articles))
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
            yield self._links(source, feed.articles)
            self._validated(response, usable=True)
            return
        articles = filter_listed_urls(feed.articles, source.article_links)
        budget = self.settings.getint("FORUMWATCH_SITEMAP_MAX_ARTICLES", 1000)
        room = max(0, budget - self._sitemap_articles[source.id])
        links = self._links(source, articles, limit=room)
        yield links
        self._sitemap_articles[source.id] += _requested(links)
        # An index may stay the same while its sitemaps change; a sitemap whose articles were
        # deferred to a later crawl must be read again: neither is asked for conditionally.
        self._validated(response, usable=not feed.sitemaps and _requested(links) < room)

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
        root, encoding = self._tree(response, source)
        report = discover(
            root,
            response.url,
            page_number=page,
            article_links=source.article_links,
            encoding=encoding,
        )
        walk = response.meta.get("walk")
        links = self._links(source, report.articles, report.attachments, walk=walk)
        self.tally.count(source.id, "list_links", len(links.articles))
        yield links
        if page == 1:
            self._validated(response, usable=True)
        if not report.next_page:
            self._end_walk(response, "end")
            return
        if _requested(links) == 0 and (walk is None or links.walked):
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

    def _validated(self, response: Response, *, usable: bool) -> None:
        """Signal the validators a start URL was served with (``usable``: it may be asked for
        conditionally next time; otherwise its stored ones are forgotten)."""
        walk = response.meta.get("walk")
        if walk is None or int(response.meta.get("page", 1)) != 1:
            return
        etag, last_modified = (
            validators_of(response.headers.get("ETag"), response.headers.get("Last-Modified"))
            if usable
            else (None, None)
        )
        if etag is None and last_modified is None and not response.meta.get("fw_walked"):
            return  # nothing to store, and nothing stored is ever sent before the chain is walked
        self.crawler.signals.send_catch_log(
            signal=list_validated,
            source_id=response.meta["fw_source"],
            url=walk,
            etag=etag,
            last_modified=last_modified,
        )

    def _end_walk(self, response: Response, ended_by: str) -> None:
        """Signal that the chain of list pages ``response`` belongs to ends here (``end``,
        ``limit`` or ``cycle``)."""
        walk = response.meta.get("walk")
        if walk is None:
            return
        source = self.sources[response.meta["fw_source"]]
        self.crawler.signals.send_catch_log(
            signal=walk_ended,
            source_id=source.id,
            start_url=walk,
            ended_by=ended_by,
            pages=int(response.meta.get("page", 1)),
            max_list_pages=source.max_list_pages,
        )

    def _tree(self, response: Response, source: SourceConfig) -> tuple[Any, str]:
        """The parsed page and the encoding it was read in (its links' queries are sent in it)."""
        if isinstance(response, TextResponse) and not source.encoding:
            root = response.selector.root
            if hasattr(root, "iter") and hasattr(root, "text_content"):
                return root, response.encoding
        text, codec = decode_html(
            response.body,
            header_charset=header_charset(response.headers.get("Content-Type")),
            override=source.encoding,
        )
        return parse_html(text), codec

    def _key(self, source_id: str, url: str) -> str:
        """An article or attachment URL's canonical form, with the source's host folding."""
        return canonicalize(url, self.sources[source_id].fold_hosts)

    def _links(
        self,
        source: SourceConfig,
        urls: list[str],
        attachments: Iterable[tuple[str, str]] = (),
        *,
        limit: int | None = None,
        walk: str | None = None,
    ) -> ListedLinks:
        """A listing's article links (``urls``) and attachment links (URL, title), by canonical
        URL, for the seen-URL filter; it requests at most ``limit`` articles if given (the
        others wait for a later crawl, counted as ``articles_deferred``)."""
        articles: dict[str, str] = {}
        for url in urls:
            key = self._key(source.id, url)
            if is_attachment_url(url) or key in articles:
                continue
            articles[key] = url
        found = {self._key(source.id, url): (url, title) for url, title in attachments}
        return ListedLinks(
            source.id,
            articles,
            {
                key: AttachmentItem(source.id, url, key, title=title or None)
                for key, (url, title) in found.items()
            },
            limit=limit,
            walk=walk,
        )

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
            yield UrlStateItem(link_key, source_id, "error", response.status, NOT_A_PAGE)
            return
        if not page:
            size = response.headers.get("Content-Length")
            key = self._key(source_id, response.url)
            if key != link_key:  # a link redirected to a document: never asked for again
                yield UrlStateItem(canonical_url=link_key, source_id=source_id, state="redirect")
            yield AttachmentItem(
                source_id,
                response.url,
                key,
                content_type=(content_type or b"").decode("latin-1") or None,
                size=int(size) if size and size.isdigit() else len(response.body),
            )
            return
        yield PageItem(
            source_id=source_id,
            url=response.url,
            request_url=link_key,
            body=response.body,
            fetched_at=fetched_at,
            header_charset=header_charset(content_type),
            content_type=(content_type or b"").decode("latin-1") or None,
            options=self.sources[source_id].extract_options(),
        )

    # -- failures -------------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> Iterable[UrlStateItem]:
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
            yield UrlStateItem(
                canonical_url=request.meta.get("link") or self._key(source_id, request.url),
                source_id=source_id,
                state="gone" if status in (404, 410) else "error",
                http_status=status,
                error=message[:500],
                url=request.meta.get("redirect_urls", [request.url])[0],
            )


def _describe_failure(failure: Failure) -> tuple[int | None, str]:
    if failure.check(HttpError):
        response = failure.value.response  # type: ignore[union-attr]
        return response.status, f"HTTP {response.status}"
    error = failure.value
    text = str(error) or type(error).__name__
    return None, f"{type(error).__name__}: {text}" if str(error) else text


def _source_ids(sources: str | Iterable[str] | None) -> list[str]:
    """Source ids from the ``sources`` argument: comma-separated (``-a sources=a,b``) or a list."""
    if sources is None:
        return []
    names = sources.split(",") if isinstance(sources, str) else sources
    return [name.strip() for name in names if name.strip()]


def _requested(links: ListedLinks) -> int:
    """How many article requests the seen-URL filter made of ``links``."""
    if links.requested is None:
        raise RuntimeError(
            "ListedLinks left unanswered: crawler.crawl.middlewares.seen.SeenUrlFilter must be "
            "enabled in SPIDER_MIDDLEWARES, next to the spider"
        )
    return links.requested
