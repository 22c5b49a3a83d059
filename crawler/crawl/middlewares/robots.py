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
warning line, not the traceback Scrapy logs for it. Reads Scrapy's ``ROBOTSTXT_*`` settings.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

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


class RobotsTxtRfcMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware with RFC 9309's reading of error answers and fetch failures."""

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, _DisallowAll):
            self._stats.inc_value("robotstxt/unavailable_refused")
            raise RobotsUnavailable(f"robots.txt unavailable ({rp.reason}): disallowed for now")
        super().process_request_2(rp, request)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The rules for the request's host, fetched once per crawl (Scrapy's, quieter)."""
        url = urlparse_cached(request)
        netloc = url.netloc
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
            return
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{status}")
        if status >= 500 or status == 429:
            self._settle(netloc, _DisallowAll(f"HTTP {status}"))
        else:
            self._settle(netloc, None)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):  # e.g. too many redirects: unavailable, allow all
            self._settle(netloc, None)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._settle(netloc, _DisallowAll(type(exc).__name__))

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
