"""Running one crawl in this process: Scrapy settings from the config, progress ticks, result.

The Twisted reactor cannot be restarted in one process (scrapy#2941), so ``run_crawl`` is called
at most once per process; the scheduler runs each crawl in a child process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler.config import Config, SourceConfig
from crawler.tally import CrawlTally

TickCallback = Callable[[CrawlTally], None]
NETWORK_GUARD = "crawler.middlewares.netguard.NetworkGuardMiddleware"
_GC_THRESHOLD = 50_000  # allocations before a young-generation collection (default 700)


@dataclass
class CrawlResult:
    """What a finished crawl reports: per-source tallies, Scrapy's stats, and why it ended."""

    tally: CrawlTally
    stats: dict[str, Any]
    finish_reason: str


def build_settings(
    config: Config, *, log_level: str = "WARNING", log_file: str | None = None
) -> Settings:
    """Scrapy settings: our settings module, then the config's overrides, then the database and
    the network rule (``allow_private_networks``; the guard stays on even when the config
    replaces ``DOWNLOADER_MIDDLEWARES``, unless it names the guard with ``None``)."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.update(config.scrapy_settings, priority="cmdline")
    settings.set("FORUMWATCH_DATABASE_URL", config.database, priority="cmdline")
    settings.set(
        "FORUMWATCH_ALLOW_PRIVATE_NETWORKS", config.allow_private_networks, priority="cmdline"
    )
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    if NETWORK_GUARD not in middlewares:
        settings.set(
            "DOWNLOADER_MIDDLEWARES", {**middlewares, NETWORK_GUARD: 50}, priority="cmdline"
        )
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if log_file:
        settings.set("LOG_FILE", log_file, priority="cmdline")
    return settings


def run_crawl(
    config: Config,
    sources: list[SourceConfig],
    *,
    settings: Settings | None = None,
    on_tick: TickCallback | None = None,
    tick_interval: float = 0.5,
) -> CrawlResult:
    """Crawl the given sources to the end (blocking); returns the tallies and stats."""
    from spiders.sources import SourceSpider

    process = CrawlerProcess(settings or build_settings(config))
    crawler = process.create_crawler(SourceSpider)
    process.crawl(crawler, sources=sources)
    if on_tick is not None:
        _start_ticks(crawler, on_tick, tick_interval)
    _tune_gc()
    process.start()
    spider = crawler.spider
    if spider is None or not hasattr(spider, "tally"):
        raise RuntimeError("the crawl did not start; see the log above")
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return CrawlResult(
        tally=spider.tally,
        stats=stats,
        finish_reason=str(stats.get("finish_reason", "unknown")),
    )


def _tune_gc() -> None:
    """Freeze what start-up allocated and collect less often: the crawl allocates many
    short-lived objects per response, and full collections rescanning every imported module's
    objects cost more than a third of a crawl's CPU on small pages (see shared NOTES)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_THRESHOLD, 20, 100)


def _start_ticks(crawler: Crawler, on_tick: TickCallback, interval: float) -> None:
    from twisted.internet import reactor, task

    def tick() -> None:
        spider = crawler.spider
        if spider is not None and hasattr(spider, "tally"):
            on_tick(spider.tally)

    loop = task.LoopingCall(tick)
    reactor.callWhenRunning(loop.start, interval, False)  # type: ignore[attr-defined]
