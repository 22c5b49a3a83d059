"""Running one crawl in this process: Scrapy settings from the config, progress ticks, result.

The Twisted reactor cannot be restarted in one process (scrapy#2941), so ``run_crawl`` is called
at most once per process; the scheduler runs each crawl in a child process. A crawl that cannot
start (a component that fails to load) raises ``CrawlStartError``; a crawl stopped by SIGINT or
SIGTERM reports the signal in ``CrawlResult.signal``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from crawler.config import Config, SourceConfig
from crawler.crawl.downloader import PoliteDownloader
from crawler.crawl.tally import CrawlTally

TickCallback = Callable[[CrawlTally], None]
NETWORK_GUARD = "crawler.crawl.middlewares.netguard.NetworkGuardMiddleware"
# Settings holding component mappings: a config's mapping is merged over ours.
_COMPONENT_MAPPINGS = (
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "ITEM_PIPELINES",
    "EXTENSIONS",
    "DOWNLOAD_HANDLERS",
)
_GC_THRESHOLD = 50_000  # allocations before a young-generation collection (default 700)


@dataclass
class CrawlResult:
    """What a finished crawl reports: per-source tallies, Scrapy's stats, and why it ended."""

    tally: CrawlTally
    stats: dict[str, Any]
    finish_reason: str
    signal: int | None = None
    """The signal (SIGINT, SIGTERM) that stopped the crawl early, if one did."""


class CrawlStartError(RuntimeError):
    """The crawl could not start (a component failed to load or open); names the reason."""


class _Process(CrawlerProcess):
    """Scrapy's process, remembering the shutdown signal it received."""

    received_signal: int | None = None

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self.received_signal = signum
        super()._signal_shutdown(signum, frame)


def build_settings(
    config: Config, *, log_level: str = "WARNING", log_file: str | None = None
) -> Settings:
    """Scrapy settings: our settings module, then the config's overrides, then the database.

    The downloader is always ``PoliteDownloader`` (or a subclass of it): Scrapy's own lets one
    host take every queued request at once when ``DOWNLOAD_DELAY`` is 0, whatever
    ``CONCURRENT_REQUESTS_PER_DOMAIN`` says (see ``crawler.crawl.downloader``).

    Component mappings in the config (``DOWNLOADER_MIDDLEWARES``, ``ITEM_PIPELINES``...) are merged
    over ours rather than replacing them, so adding a middleware keeps our retry, robots and
    network-guard components; naming one with ``None`` switches it off. The network guard stays
    on unless named with ``None``; ``allow_private_networks`` reaches it as a setting.
    """
    settings = Settings()
    settings.setmodule("settings", priority="project")
    overrides = dict(config.scrapy_settings)
    for key in _COMPONENT_MAPPINGS:
        if isinstance(overrides.get(key), dict):
            overrides[key] = {**settings.getdict(key), **overrides[key]}
    settings.update(overrides, priority="cmdline")
    if not _is_polite(settings.get("DOWNLOADER")):
        settings.set("DOWNLOADER", PoliteDownloader, priority="cmdline")
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


def _is_polite(downloader: object) -> bool:
    try:
        cls = load_object(downloader) if isinstance(downloader, str) else downloader
    except (ImportError, NameError, ValueError):
        return False
    return isinstance(cls, type) and issubclass(cls, PoliteDownloader)


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

    process = _Process(settings or build_settings(config))
    crawler = process.create_crawler(SourceSpider)
    failures: list[Failure] = []
    # consumed here, so Scrapy does not print it as an unhandled traceback
    process.crawl(crawler, sources=sources).addErrback(failures.append)
    if on_tick is not None:
        _start_ticks(crawler, on_tick, tick_interval)
    _tune_gc()
    process.start()
    spider = crawler.spider
    if failures:
        raise CrawlStartError(f"the crawl failed: {_describe(failures[0])}")
    if spider is None or not hasattr(spider, "tally"):
        raise CrawlStartError("the crawl did not start; see the log above")
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return CrawlResult(
        tally=spider.tally,
        stats=stats,
        finish_reason=str(stats.get("finish_reason", "unknown")),
        signal=process.received_signal,
    )


def _describe(failure: Failure) -> str:
    error = failure.value
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


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
