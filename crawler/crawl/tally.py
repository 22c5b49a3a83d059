"""Per-source counters and error samples of one crawl, mirrored into Scrapy stats.

The spider owns one ``CrawlTally``; pipelines count through it; the crawl-run rows and the CLI's
progress display read it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

COUNTERS = ("list_pages", "new_articles", "known_articles", "failed", "attachments")
MAX_ERRORS = 50


class _Stats(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


@dataclass
class SourceTally:
    """What happened to one source during a crawl."""

    counts: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, str]] = field(default_factory=list)
    pending: int = 0
    done: bool = False

    def status(self) -> str:
        """'ok', 'partial' (some failures) or 'failed' (no list page or feed could be read)."""
        if self.counts["list_pages"] == 0 and self.counts["failed"] > 0:
            return "failed"
        if self.counts["failed"] > 0:
            return "partial"
        return "ok"


class CrawlTally:
    """Counters for every source of a crawl."""

    def __init__(self, source_ids: list[str], stats: _Stats | None = None) -> None:
        self.sources = {sid: SourceTally() for sid in source_ids}
        self._stats = stats

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

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for tally in self.sources.values():
            total.update(tally.counts)
        return total
