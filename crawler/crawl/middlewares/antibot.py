"""Anti-bot answers: counted as ``blocked`` for their source and failed, never parsed as pages.

A downloader middleware placed just after decompression (its ``process_response`` sees the body
as the site sent it, before meta-refresh, retries and the spider): every answer to a request of
our spider (``fw_source`` in its meta) is read by ``crawler.monitor.antibot.detect_challenge``;
a challenge (a 521 Jiasule script, a 412 Rivers page, a Cloudflare "Just a moment...", a 200
stub setting ``acw_sc__v2``...) is counted as ``blocked`` for the source and the request fails
with ``AntiBotChallenge`` (an ``IgnoreRequest``), so the spider's errback counts the failure and
remembers an article URL for a later retry instead of storing a challenge script as an article.
Challenges are not retried within the crawl: the shield would only answer again.

robots.txt answered with a challenge (Jiasule answers 521 for every path) is remembered per host;
requests of that host then refused for an unavailable robots.txt (``RobotsUnavailable``) are
counted as ``blocked`` too, since the shield stood in the way. Reads no settings.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.crawl.middlewares.robots import RobotsUnavailable
from crawler.crawl.tally import MAX_ERRORS, CrawlTally
from crawler.monitor.antibot import Challenge, detect_challenge

logger = logging.getLogger(__name__)


class AntiBotChallenge(IgnoreRequest):
    """A request answered by an anti-bot shield instead of the page."""


class AntiBotMiddleware:
    """Counts and fails anti-bot answers (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.tally = CrawlTally.of(crawler)
        self._shielded_robots: dict[str, Challenge] = {}
        """Hosts (netloc) whose robots.txt was answered with a challenge in this crawl."""
        self._noted: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items()
            for value in values
        ]
        challenge = detect_challenge(response.status, headers, response.body)
        if challenge is None:
            return response
        source_id = request.meta.get("fw_source")
        if source_id is None or source_id not in self.tally.sources:
            if urlparse_cached(request).path == "/robots.txt":
                self._shielded_robots[urlparse_cached(request).netloc] = challenge
            return response
        self.tally.count(source_id, "blocked")
        logger.warning("%s", challenge.describe(), extra={"source": source_id, "url": request.url})
        raise AntiBotChallenge(challenge.describe())

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if not isinstance(exception, RobotsUnavailable):
            return
        source_id = request.meta.get("fw_source")
        challenge = self._shielded_robots.get(urlparse_cached(request).netloc)
        if challenge is None or source_id not in self.tally.sources:
            return
        self.tally.count(source_id, "blocked")
        netloc = urlparse_cached(request).netloc
        if (source_id, netloc) not in self._noted:  # the shield named once per source and host
            self._noted.add((source_id, netloc))
            errors = self.tally.sources[source_id].errors
            if len(errors) < MAX_ERRORS:
                errors.append(
                    {"url": request.url, "error": f"{challenge.describe()} on robots.txt"}
                )
