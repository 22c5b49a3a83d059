"""robots.txt as RFC 9309 reads it: a server error or an unreachable file disallows, for now.

Scrapy's RobotsTxtMiddleware parses whatever body comes back, so a robots.txt answering 503 (an
error page with no rules) reads as "allow all", and a fetch that fails (timeout, reset, refused)
is "allow all" too (scrapy#2443). RFC 9309 section 2.3.1 says otherwise:

* 2xx: the rules are parsed as Scrapy does.
* 3xx: redirects are followed by Scrapy's RedirectMiddleware (``REDIRECT_MAX_TIMES``, 5 here);
  a redirect that cannot be followed, like any 4xx ("unavailable"), allows everything.
* 5xx or a network failure ("unreachable"): complete disallow. Every request to that host is
  refused for the rest of the crawl with ``RobotsUnavailable`` (the next crawl asks again).
  429 Too Many Requests is read as a server error too: a server asking us to slow down is not
  telling us to crawl everything.

The robots.txt fetch itself is retried by the retry middleware first (``RETRY_*``), and fetched
once per host (Scrapy's key: ``host:port``) per crawl, whatever its outcome; a failed fetch is one
warning line, not the traceback Scrapy logs for it.

Across crawls (RFC 9309 section 2.4), the answers that say something about the rules (2xx bodies,
4xx "allow all") are kept per origin (``scheme://host:port``) in the database for
``FORUMWATCH_ROBOTS_CACHE_HOURS`` (24; 0 turns the cache off), through the crawl's store
(``crawler.crawl.store``): a later crawl within that time asks nothing of the site. The copies of
the crawl's start URLs' origins are read in one query when the first rules are needed; new copies
are written in batches. An expired copy is fetched again. When that fetch fails (5xx, 429,
unreachable) and the expired copy is less than ``STALE_LIMIT`` (30 days) old, its rules are used
for this crawl instead of disallowing everything (section 2.4 allows a cached copy beyond 24 hours
while the file is unreachable; section 2.3.1.4 names 30 days); the copy is not renewed, so the
next crawl asks again. A failure with no such copy disallows, as above, and is never cached.
Only spiders of ours (with ``sources``) use the cache. Reads Scrapy's ``ROBOTSTXT_*`` settings.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.crawl.store import CrawlStore
from storage.http_cache import CachedRobots

logger = logging.getLogger(__name__)


class RobotsUnavailable(IgnoreRequest):
    """A request refused because its host's robots.txt could not be read (5xx, unreachable)."""


class _DisallowAll(RobotParser):
    """Stands in for the rules of a host whose robots.txt is unreachable."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    @classmethod
    def from_crawler(cls, crawler: object, robotstxt_body: bytes) -> _DisallowAll:
        return cls("no rules")

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


STALE_LIMIT = timedelta(days=30)
"""How old an expired copy may be and still stand in for a robots.txt that cannot be fetched."""
MAX_CACHED_BODY = 512 * 1024
"""Characters of a robots.txt kept (RFC 9309 asks parsers to read at least 500 KiB)."""
SAVE_BATCH = 200
"""New copies written to the database together."""


class RobotsTxtRfcMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware with RFC 9309's reading of error answers and fetch failures, and its
    answers kept across crawls."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        hours = crawler.settings.getfloat("FORUMWATCH_ROBOTS_CACHE_HOURS", 24)
        self.cache_for = timedelta(hours=hours) if hours > 0 else None
        """How long a fetched robots.txt is used without asking again (None: not kept)."""
        self._copies: dict[str, CachedRobots] = {}
        """Stored copies by origin, as read from the database."""
        self._looked_up: set[str] = set()
        """Origins whose copy was asked of the database (found or not)."""
        self._origins: dict[str, str] = {}
        """netloc -> origin of the robots.txt being fetched."""
        self._unsaved: list[CachedRobots] = []
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @property
    def caching(self) -> bool:
        return self.cache_for is not None and hasattr(self.crawler.spider, "sources")

    def _copy(self, origin: str) -> CachedRobots | None:
        """The stored copy of ``origin``'s robots.txt, read with those of every start URL."""
        if origin not in self._looked_up:
            wanted = {origin}
            if not self._looked_up:  # the first: every start URL's origin in one query
                sources: Any = getattr(self.crawler.spider, "sources", {})
                wanted.update(
                    _origin(url) for source in sources.values() for url in source.start_urls
                )
            try:
                self._copies.update(CrawlStore.of(self.crawler).robots_copies(wanted))
            except Exception:  # the database is the crawl's problem; here: fetch it
                logger.exception("robots.txt cache unreadable")
            self._looked_up.update(wanted)
        return self._copies.get(origin)

    def _keep(self, netloc: str, status: int, body: bytes) -> None:
        origin = self._origins.get(netloc)
        if origin is None or self.cache_for is None:
            return
        now = datetime.now(UTC)
        text = body.decode("utf-8-sig", errors="ignore")[:MAX_CACHED_BODY]
        copy = CachedRobots(origin, status, text, now, now + self.cache_for)
        self._copies[origin] = copy
        self._unsaved.append(copy)
        if len(self._unsaved) >= SAVE_BATCH:
            self._save()

    def _save(self) -> None:
        unsaved, self._unsaved = self._unsaved, []
        if not unsaved:
            return
        try:
            CrawlStore.of(self.crawler).save_robots(unsaved)
        except Exception:  # not kept: the next crawl fetches them again
            logger.exception("robots.txt copies not saved")

    def _spider_closed(self, spider: Any, reason: str) -> None:
        self._save()

    def _parser_of(self, copy: CachedRobots) -> RobotParser | None:
        if 200 <= copy.status < 300:
            body = copy.body.encode("utf-8")
            parser: RobotParser = self._parserimpl.from_crawler(self.crawler, body)
            return parser
        return None

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, _DisallowAll):
            self._stats.inc_value("robotstxt/unavailable_refused")
            raise RobotsUnavailable(f"robots.txt unavailable ({rp.reason}): disallowed for now")
        super().process_request_2(rp, request)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The rules for the request's host, fetched once per crawl (Scrapy's, quieter)."""
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers and self.caching:
            origin = f"{url.scheme}://{netloc}"
            copy = self._copy(origin)
            if copy is not None and copy.fresh(datetime.now(UTC)):
                self._stats.inc_value("robotstxt/cached")
                self._parsers[netloc] = self._parser_of(copy)
            else:
                self._origins[netloc] = origin
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots_request = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            assert self.crawler.engine is not None
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, netloc, request)
            except Exception as exc:  # which failures disallow: _robots_error decides
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if 200 <= status < 300:
            await super()._parse_robots(response, netloc, request)
            self._keep(netloc, status, response.body)
            return
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{status}")
        if status >= 500 or status == 429:
            self._unreachable(netloc, f"HTTP {status}")
        else:
            self._settle(netloc, None)
            self._keep(netloc, status, b"")

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):  # e.g. too many redirects: unavailable, allow all
            self._settle(netloc, None)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._unreachable(netloc, type(exc).__name__)

    def _unreachable(self, netloc: str, reason: str) -> None:
        """Disallow the host for this crawl, unless an expired copy of its rules may stand in."""
        origin = self._origins.get(netloc)
        copy = self._copies.get(origin) if origin is not None else None
        if copy is not None and datetime.now(UTC) - copy.fetched_at < STALE_LIMIT:
            self._stats.inc_value("robotstxt/stale_used")
            logger.warning(
                "robots.txt unavailable (%s): %s read with its copy of %s",
                reason,
                netloc,
                copy.fetched_at.isoformat(timespec="seconds"),
            )
            self._settle(netloc, self._parser_of(copy))
            return
        self._settle(netloc, _DisallowAll(reason))

    def _settle(self, netloc: str, parser: RobotParser | None) -> None:
        """Answer every request waiting for this host's rules, and later ones, with ``parser``."""
        waiting = self._parsers[netloc]
        if not isinstance(waiting, Deferred):  # already answered (a failure after parsing)
            return
        if isinstance(parser, _DisallowAll):
            self._stats.inc_value("robotstxt/unavailable")
            logger.warning(
                "robots.txt unavailable (%s): %s disallowed for this crawl", parser.reason, netloc
            )
        self._parsers[netloc] = parser
        waiting.callback(parser)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as Scrapy's request for its robots.txt names it."""
    parsed = urlparse_cached(Request(url))
    return f"{parsed.scheme}://{parsed.netloc}"
