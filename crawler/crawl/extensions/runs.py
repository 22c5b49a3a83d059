"""Run recorder: one crawl-run row per source, opened with the spider and closed with its tally.

When the spider opens: the sources it crawls (``spider.sources``) are mirrored into the database,
runs left 'running' by killed crawls are marked 'interrupted' (``CrawlStore.start_runs``), and a
run is started per source; the crawl's tally (``CrawlTally.of(crawler)``) tracks the sources and
their run ids. The alert rules of the config are given to the store with the set of sources already baselined
(``crawler.alerts.outbox``). When it closes: the chains of list pages walked to their end in this crawl (the
spider's ``walk_ended`` signal) are recorded if the crawl finished with no item error (every
article their pages listed was stored or remembered as failed; a walk cut short is walked again),
then each run is closed with its source's counts and errors, sources whose run finished ok or
partial are marked baselined (their first such crawl is the silent baseline), and the health
of the crawl's sources is judged (``crawler.crawl.health.judge_sources``; a failure there is
logged, never breaks the closing). The validators of start URLs read in full (the spider's
``list_validated`` signal) are recorded on the same condition as walks, so a crawl killed
between a list page and its articles leaves no validator that would hide them next time.

Reads ``FORUMWATCH_STALE_RUN_HOURS`` (runs of other hosts still 'running' after this long are
marked 'interrupted'), and the store's settings (``crawler.crawl.store``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from crawler.alerts.outbox import ArticleAlerter
from crawler.config import SourceConfig
from crawler.crawl import processes
from crawler.crawl import signals as crawl_signals
from crawler.crawl.configure import crawl_config
from crawler.crawl.health import judge_sources
from crawler.crawl.store import CrawlStore
from crawler.crawl.tally import CrawlTally
from storage.http_cache import Validators
from storage.models import SourceWalk

logger = logging.getLogger(__name__)

HEALTH_COUNTERS = ("blocked", "list_links", "weak_bodies")
"""Counters written even at 0: a run that has them was counted for source health (older runs
lack them, and count neither way)."""


class RunRecorder:
    """Opens, counts and closes the crawl-run rows of a crawl; records its completed walks."""

    def __init__(self, crawler: Crawler, stale_after: timedelta) -> None:
        self.crawler = crawler
        self.tally = CrawlTally.of(crawler)
        self.stale_after = stale_after
        self._walk_ends: dict[tuple[str, str], SourceWalk] = {}
        """Chains this crawl walked to their end; recorded if the crawl finishes."""
        self._validators: dict[str, Validators] = {}
        """Start URLs' validators seen by this crawl; recorded if the crawl finishes."""
        self._item_errors = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        hours = crawler.settings.getfloat("FORUMWATCH_STALE_RUN_HOURS", 12)
        recorder = cls(crawler, timedelta(hours=hours))
        recorder.tally.bind_stats(crawler.stats)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(recorder.item_error, signal=signals.item_error)
        crawler.signals.connect(recorder.walk_ended, signal=crawl_signals.walk_ended)
        crawler.signals.connect(recorder.list_validated, signal=crawl_signals.list_validated)
        return recorder

    @property
    def store(self) -> CrawlStore:
        """The crawl's store, opened when a spider of ours first needs it."""
        return CrawlStore.of(self.crawler)

    def spider_opened(self, spider: Spider) -> None:
        sources: Mapping[str, SourceConfig] | None = getattr(spider, "sources", None)
        if sources is None:  # not a spider of ours
            return
        self.tally.track(sources)
        try:
            self.store.sync_sources(sources.values())
            run_ids = self.store.start_runs(
                sources, stale_after=self.stale_after, process=processes.this_process()
            )
            # Read once: a source not baselined now does not alert during this crawl.
            config = self.store.with_saved_searches(crawl_config(self.crawler))
            if config.alerts:
                baselined = self.store.baselined(sources)
                self.store.alerter = ArticleAlerter.for_crawl(config, baselined)
        except Exception:
            logger.exception("crawl runs could not be started")
            raise CloseSpider("runs_not_started") from None
        for source_id, run_id in run_ids.items():
            self.tally.sources[source_id].run_id = run_id

    def walk_ended(
        self, source_id: str, start_url: str, ended_by: str, pages: int, max_list_pages: int
    ) -> None:
        self._walk_ends[(source_id, start_url)] = SourceWalk(
            source_id=source_id,
            start_url=start_url,
            completed_at=datetime.now(UTC),
            ended_by=ended_by,
            pages=pages,
            max_list_pages=max_list_pages,
        )

    def list_validated(
        self, source_id: str, url: str, etag: str | None, last_modified: str | None
    ) -> None:
        self._validators[url] = Validators(url, source_id, etag, last_modified, datetime.now(UTC))

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        # A pipeline failed (a store batch may be lost): no walk of this crawl counts as done.
        self._item_errors += 1

    def spider_closed(self, spider: Spider, reason: str) -> None:
        # Walks count only when the crawl finished: every article their pages listed was
        # stored or remembered as failed. A walk cut short by a kill is walked again.
        if reason == "finished" and not self._item_errors:
            try:
                self.store.record_walks(list(self._walk_ends.values()))
            except Exception:  # the runs below must still be closed; the walk is redone
                logger.exception("walks not recorded")
            try:
                self.store.save_validators(list(self._validators.values()))
            except Exception:  # the pages are fetched in full next time
                logger.exception("list page validators not recorded")
        elif self._walk_ends:
            logger.warning(
                "walks not recorded: crawl %s, %d item errors", reason, self._item_errors
            )
        self.store.finish_runs(
            [
                (
                    tally.run_id,
                    tally.status() if reason == "finished" else "interrupted",
                    {**dict.fromkeys(HEALTH_COUNTERS, 0), **tally.counts},
                    tally.errors,
                )
                for tally in self.tally.sources.values()
                if tally.run_id is not None
            ]
        )
        done = [
            source_id
            for source_id, tally in self.tally.sources.items()
            if tally.run_id is not None
            and reason == "finished"
            and tally.status() in ("ok", "partial")
        ]
        # A source's first crawl that finished is its baseline: from now on, its new articles
        # alert (the run recorder marks it whether or not rules exist, so adding a rule later
        # does not alert on the backlog of sources crawled before).
        if done:
            try:
                self.store.mark_baselines(done, datetime.now(UTC))
            except Exception:
                logger.exception("baselines not recorded")
        self._judge_health(spider)

    def _judge_health(self, spider: Spider) -> None:
        """Judge the health of the crawl's sources now that their runs are closed; a failure
        here is logged, never raised: closing the crawl must not break."""
        sources = [sid for sid, tally in self.tally.sources.items() if tally.run_id is not None]
        if not sources:
            return
        try:
            config = crawl_config(self.crawler)
            judge_sources(self.store.engine, config, datetime.now(UTC), sources)
        except Exception:
            logger.exception("source health not judged")
