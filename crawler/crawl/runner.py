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
from twisted.python.failure import Failure

from crawler.config import Config, SourceConfig
from crawler.crawl.configure import CONFIG_ADDON, apply_config, use_config
from crawler.crawl.tally import CrawlTally

TickCallback = Callable[[CrawlTally], None]
SPIDER = "forumwatch"
"""The project's spider (``spiders/sources.py``), run by name as ``scrapy crawl`` runs it."""
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
    """Scrapy settings: our settings module with ``config`` applied
    (``crawler.crawl.configure.apply_config``), then the log options.

    The config is applied here, so the add-on that would load one for Scrapy's own tools is off.
    """
    settings = Settings()
    settings.setmodule("settings", priority="project")
    apply_config(settings, config)
    settings.set("ADDONS", {**settings.getdict("ADDONS"), CONFIG_ADDON: None}, priority="cmdline")
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
    """Crawl the given sources of ``config`` to the end (blocking), as ``scrapy crawl forumwatch
    -a sources=...`` would; returns the tallies and stats."""
    process = _Process(settings or build_settings(config))
    crawler = process.create_crawler(SPIDER)
    use_config(crawler, config)
    failures: list[Failure] = []
    # consumed here, so Scrapy does not print it as an unhandled traceback
    process.crawl(crawler, sources=",".join(source.id for source in sources)).addErrback(
        failures.append
    )
    if on_tick is not None:
        _start_ticks(crawler, on_tick, tick_interval)
    _tune_gc()
    process.start()
    if failures:
        raise CrawlStartError(f"the crawl failed: {_describe(failures[0])}")
    tally = CrawlTally.of(crawler)
    if not tally.sources:
        raise CrawlStartError("the crawl did not start; see the log above")
    stats = crawler.stats.get_stats()
    return CrawlResult(
        tally=tally,
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
        tally = CrawlTally.of(crawler)
        if tally.sources:  # the crawl has opened
            on_tick(tally)

    loop = task.LoopingCall(tick)
    reactor.callWhenRunning(loop.start, interval, False)  # type: ignore[attr-defined]
