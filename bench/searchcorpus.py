"""A generated corpus of stored articles for the search benchmark and the search tests.

Realistic Chinese news text from ``bench.zhtext`` (titles, reports and notices about city forums,
urban renewal and government notices), with a little Latin and many numbers (``5G``, ``REITs``,
``2024年``), spread over sources, dates, topics, flags and relevance. ``corpus_rows`` yields rows
for ``articles`` ready for a batched Core insert; ``write_corpus`` inserts them (the search
triggers queue every row; the caller applies the queue). Reproducible from the seed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bench.zhtext import CITIES, Writer
from storage.models import Article, Source

SOURCES: Final = tuple(f"site-{index:02d}" for index in range(30))
SOURCE_TAGS: Final = ("gov", "association", "media")
TOPIC_IDS: Final = (
    "urban_renewal",
    "city_investment",
    "new_productive_forces",
    "smart_city",
    "urban_planning",
    "housing",
)
FLAG_CODES: Final = ("no_date", "spam_injection", "encoding_damage", "short_text")
LATIN: Final = (
    "5G基站建设",
    "AI赋能城市治理",
    "基础设施REITs试点",
    "EOD模式",
    "PPP项目",
    "CIM平台",
    "BIM技术应用",
    "GDP增长6.5%",
)
EPOCH: Final = datetime(2019, 1, 1, tzinfo=UTC)


def source_rows() -> list[dict[str, Any]]:
    """The corpus's sources, each with one tag."""
    now = datetime.now(UTC)
    return [
        {
            "id": source_id,
            "name": source_id,
            "start_urls": [f"https://{source_id}.example/"],
            "tags": [SOURCE_TAGS[index % len(SOURCE_TAGS)]],
            "created_at": now,
            "updated_at": now,
        }
        for index, source_id in enumerate(SOURCES)
    ]


def corpus_rows(count: int, *, seed: int = 7, first: int = 0) -> Iterator[dict[str, Any]]:
    """``count`` article rows (numbered from ``first``, for unique URLs)."""
    rng = random.Random(seed)
    for number in range(first, first + count):
        yield _row(rng, number)


def _row(rng: random.Random, number: int) -> dict[str, Any]:
    writer = Writer(rng, CITIES[rng.randrange(len(CITIES))])
    when = EPOCH + timedelta(days=rng.randrange(7 * 365), hours=rng.randrange(24))
    title, kind = writer.title(when)
    size = min(max(int(rng.lognormvariate(6.9, 0.6)), 150), 12_000)
    paragraphs = writer.body(when, kind, size)
    if rng.random() < 0.25:
        paragraphs.insert(rng.randrange(len(paragraphs) + 1), _latin_sentence(rng, writer))
    if rng.random() < 0.05:
        title = f"{title}（{rng.choice(LATIN)}）"
    text = "\n".join(paragraphs)
    source_id = SOURCES[rng.randrange(len(SOURCES))]
    dated = rng.random() < 0.9
    return {
        "source_id": source_id,
        "url": f"https://{source_id}.example/art/{number}.html",
        "canonical_url": f"https://{source_id}.example/art/{number}.html",
        "title": title,
        "text": text,
        "published_on": when.date() if dated else None,
        "published_at": None,
        "language": "zh" if rng.random() < 0.97 else "en",
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        "fetched_at": when + timedelta(hours=rng.randrange(1, 72)),
        "extracted_at": when + timedelta(hours=72),
        "flags": ([] if dated else ["no_date"])
        + ([rng.choice(FLAG_CODES[1:])] if rng.random() < 0.05 else []),
        "relevant": ("论坛" in title or "峰会" in title or "大会" in title) or None,
        "relevance_score": None,
        "topics": rng.sample(TOPIC_IDS, rng.randrange(3)),
        "event_name": None,
        "event_city": None,
        "event_start": None,
        "event_end": None,
        "story_id": None,
        "crawl_run_id": None,
    }


def _latin_sentence(rng: random.Random, writer: Writer) -> str:
    return (
        f"{writer.city}将推进{rng.choice(LATIN)}，并探索{rng.choice(LATIN)}，"
        f"预计{rng.randint(2025, 2030)}年完成投资{writer.amount()}亿元。"
    )


def write_corpus(
    connection: Connection, count: int, *, seed: int = 7, first: int = 0, batch: int = 2000
) -> int:
    """Insert the sources (once) and ``count`` articles in batches; returns how many."""
    if first == 0:
        connection.execute(insert(Source.__table__), source_rows())  # type: ignore[attr-defined]
    table = Article.__table__  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    written = 0
    for row in corpus_rows(count, seed=seed, first=first):
        rows.append(row)
        if len(rows) >= batch:
            connection.execute(insert(table), rows)
            written += len(rows)
            rows = []
    if rows:
        connection.execute(insert(table), rows)
        written += len(rows)
    return written


def date_range() -> tuple[date, date]:
    """The first and last publication dates the corpus can hold."""
    return EPOCH.date(), (EPOCH + timedelta(days=7 * 365)).date()
