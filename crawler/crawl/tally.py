"""Per-source counters and error samples of one crawl, mirrored into Scrapy stats.

One ``CrawlTally`` per crawl, kept on the crawler (``CrawlTally.of(crawler)``) like Scrapy's stats
collector: the spider, the seen-URL filter and the pipelines count through it; the run recorder
(``crawler.crawl.extensions.runs``) gives it the crawl's sources and their run ids when the
spider opens and writes it to the crawl-run rows when it closes; the CLI's progress display reads
it. No settings read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

COUNTERS = ("list_pages", "new_articles", "known_articles", "failed", "attachments")
MAX_ERRORS = 50
_ON_CRAWLER = "_forumwatch_tally"


class _Stats(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


@dataclass
class SourceTally:
    """What happened to one source during a crawl."""

    counts: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, str]] = field(default_factory=list)
    run_id: int | None = None
    """The crawl-run row recording this source's part of the crawl, once started."""

    def status(self) -> str:
        """'ok', 'partial' (some failures) or 'failed' (no list page or feed could be read)."""
        if self.counts["list_pages"] == 0 and self.counts["failed"] > 0:
            return "failed"
        if self.counts["failed"] > 0:
            return "partial"
        return "ok"


class CrawlTally:
    """Counters for every source of a crawl."""

    def __init__(self, source_ids: Iterable[str] = (), stats: _Stats | None = None) -> None:
        self.sources = {sid: SourceTally() for sid in source_ids}
        self._stats = stats

    @classmethod
    def of(cls, crawler: Any) -> CrawlTally:
        """The tally of ``crawler``'s crawl, created empty on first use."""
        tally: CrawlTally | None = getattr(crawler, _ON_CRAWLER, None)
        if tally is None:
            tally = cls()
            setattr(crawler, _ON_CRAWLER, tally)
        return tally

    def track(self, source_ids: Iterable[str]) -> None:
        """Count for these sources too (sources already tracked keep their counts)."""
        for sid in source_ids:
            self.sources.setdefault(sid, SourceTally())

    def bind_stats(self, stats: _Stats) -> None:
        """Mirror counts into Scrapy stats (available once the crawl has started)."""
        self._stats = stats

    def count(self, source_id: str, key: str, n: int = 1) -> None:
        if n:
            self.sources[source_id].counts[key] += n
            if self._stats is not None:
                self._stats.inc_value(f"forumwatch/{key}", n)

    def error(self, source_id: str, url: str, message: str) -> None:
        tally = self.sources[source_id]
        tally.counts["failed"] += 1
        if self._stats is not None:
            self._stats.inc_value("forumwatch/failed")
        if len(tally.errors) < MAX_ERRORS:
            tally.errors.append({"url": url, "error": message})

    def run_id(self, source_id: str) -> int | None:
        """The crawl-run id of a source (None before the run recorder started it)."""
        tally = self.sources.get(source_id)
        return tally.run_id if tally is not None else None

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for tally in self.sources.values():
            total.update(tally.counts)
        return total
