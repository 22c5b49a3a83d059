"""Conditional requests for start URLs whose chain of list pages was already walked to its end.

A downloader middleware. A start request (a list page, feed or sitemap named in ``start_urls``)
marked ``fw_walked`` by the seen-URL filter (an earlier crawl that finished walked its chain) is
sent with ``If-None-Match`` / ``If-Modified-Since`` from the validators stored for its canonical
URL (``http_validators``, read for every source of the crawl in one query on first use). Such a
request accepts a 304 (``handle_httpstatus_list``) and is marked ``fw_conditional``: the spider
then counts the page as read (``list_pages``) and ``not_modified``, and parses nothing. Until a
chain has been walked, its start URL is always fetched in full, so a killed backfill resumes.

A 304 to a request that was not conditional (a broken server) is not read as "not modified": it
stays an HTTP error of that page. A 200 answering a conditional request is read in full. ETags are
sent back as served (weak ones included: ``If-None-Match`` compares weakly); values that are not
printable ASCII, too long, or Last-Modified values that are not HTTP dates are never stored
(``validators_of``). The spider signals the validators of what it read
(``crawler.crawl.signals.list_validated``); the run recorder stores them only when the crawl
finishes cleanly, so a crawl killed between a list page and its articles leaves none behind.

Reads ``FORUMWATCH_CONDITIONAL_REQUESTS`` (on by default) and the store's settings.
"""

from __future__ import annotations

import logging
import re
from email.utils import parsedate_to_datetime
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.http import Request

from crawler.crawl.store import CrawlStore
from storage.http_cache import Validators

logger = logging.getLogger(__name__)

MAX_ETAG = 256
MAX_DATE = 64
_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")


def validators_of(etag: bytes | None, last_modified: bytes | None) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified header values worth sending back (None: not usable)."""
    tag = _text(etag, MAX_ETAG)
    date = _text(last_modified, MAX_DATE)
    if date is not None:
        try:
            parsedate_to_datetime(date)
        except (TypeError, ValueError, IndexError):
            date = None
    return tag, date


def _text(value: bytes | None, limit: int) -> str | None:
    if not value or len(value) > limit:
        return None
    text = value.decode("latin-1").strip()
    return text if _PRINTABLE.match(text) else None


class ConditionalRequests:
    """Adds the stored validators to the start requests of walked chains."""

    def __init__(self, crawler: Crawler, enabled: bool) -> None:
        self.crawler = crawler
        self.enabled = enabled
        self._validators: dict[str, Validators] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getbool("FORUMWATCH_CONDITIONAL_REQUESTS", True))

    def _stored(self) -> dict[str, Validators]:
        if self._validators is None:
            sources: Any = getattr(self.crawler.spider, "sources", {})
            try:
                self._validators = CrawlStore.of(self.crawler).list_validators(list(sources))
            except Exception:  # fetched in full instead
                logger.exception("list page validators unreadable")
                self._validators = {}
        return self._validators

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if not self.enabled or not meta.get("fw_walked") or meta.get("fw_conditional"):
            return
        stored = self._stored().get(meta["walk"])
        if stored is None or not (stored.etag or stored.last_modified):
            return
        if stored.etag:
            request.headers[b"If-None-Match"] = stored.etag
        if stored.last_modified:
            request.headers[b"If-Modified-Since"] = stored.last_modified
        meta["fw_conditional"] = True
        meta["handle_httpstatus_list"] = [*meta.get("handle_httpstatus_list", ()), 304]
