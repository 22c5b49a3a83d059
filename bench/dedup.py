"""Story deduplication: quality on the labelled pairs, and assignment speed with a big index.

Run: ``.venv/bin/python bench/dedup.py [--articles N] [--queries N] [--keep PATH]`` (also part of
``make bench``).

1. Quality: every article of ``tests/fixtures/relevance/articles.yaml`` and every repost/rewrite
   of ``tests/fixtures/dedup/pairs.yaml`` goes through forumwatch's own path (normalization,
   MinHash, ``CrawlStore.store_batch`` into a fresh SQLite file, which assigns stories).
   Each labelled pair is then checked: ``repost`` pairs must share a story (recall), ``different``
   and ``same_event`` pairs must not (precision of story assignment); ``same_event`` pairs should
   be linked by ``event_group`` (event recall, the stretch goal). Targets: precision >= 0.98,
   recall >= 0.95 on reposts.
2. Speed: an index of ``--articles`` (default 1,000,000) synthetic articles with random
   signatures is written straight into a SQLite file, then ``--queries`` new articles (half of
   them near-duplicates of indexed ones) are assigned one at a time, each in its own write
   transaction. Reports the median and p95 of ``assign_stories`` and of the whole transaction,
   that near-duplicates found their story, the database size and peak RSS. Target: median under
   20 ms.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.analyze.dedup import BANDS, NUM_PERM, Signature, band_key_matrix  # noqa: E402
from crawler.analyze.stories import StoryCandidate  # noqa: E402
from crawler.config import SourceConfig  # noqa: E402
from crawler.crawl.store import CrawlStore  # noqa: E402
from crawler.crawl.stories import assign_stories  # noqa: E402
from storage.db import make_engine, session_scope, upgrade_schema  # noqa: E402
from storage.models import Article  # noqa: E402
from tests.articles import FETCHED, new_article  # noqa: E402

ARTICLES = ROOT / "tests" / "fixtures" / "relevance" / "articles.yaml"
PAIRS = ROOT / "tests" / "fixtures" / "dedup" / "pairs.yaml"


# -- 1. quality ------------------------------------------------------------------------------


def evaluate_pairs(folder: Path) -> dict[str, float]:
    articles = {a["id"]: a for a in yaml.safe_load(ARTICLES.read_text("utf-8"))["articles"]}
    data = yaml.safe_load(PAIRS.read_text("utf-8"))
    variants = data["variants"]
    for variant in variants:
        base = articles[variant["base"]]
        variant.setdefault("published", base.get("published"))
    engine = make_engine(f"sqlite:///{folder / 'pairs.db'}")
    upgrade_schema(engine)
    sources = [
        SourceConfig(id=name, name=name, start_urls=[f"http://{name}.example/"])
        for name in ("origin", "reposts")
    ]
    rows = [new_article(a, "origin", i) for i, a in enumerate(articles.values())]
    rows += [new_article(v, "reposts", len(rows) + i) for i, v in enumerate(variants)]
    store = CrawlStore(engine)
    store.sync_sources(sources)
    started = time.perf_counter()
    store.store_batch([(row, ()) for row in rows])
    seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        stored = {a.url.rsplit("/", 1)[1][:-5]: a for a in session.exec(_all_articles()).all()}
        groups = _event_groups(session)
    engine.dispose()
    counts = {"tp": 0, "fn": 0, "fp": 0, "tn": 0, "event_linked": 0, "same_event": 0}
    misses: list[str] = []
    for pair in data["pairs"]:
        a, b = stored[pair["a"]], stored[pair["b"]]
        same_story = a.story_id == b.story_id
        if pair["label"] == "repost":
            counts["tp" if same_story else "fn"] += 1
        else:
            counts["fp" if same_story else "tn"] += 1
        if pair["label"] == "same_event":
            counts["same_event"] += 1
            linked = same_story or (
                groups.get(a.story_id) is not None
                and groups.get(a.story_id) == groups.get(b.story_id)
            )
            counts["event_linked"] += linked
        if (pair["label"] == "repost") != same_story:
            misses.append(
                f"  {pair['label']:10} {pair['a']} ~ {pair['b']}: same story={same_story}"
            )
    precision = counts["tp"] / max(1, counts["tp"] + counts["fp"])
    recall = counts["tp"] / max(1, counts["tp"] + counts["fn"])
    print(f"{len(rows)} articles stored and assigned in {seconds:.2f} s")
    print("\n".join(misses) or "  no misassigned pair")
    print(
        f"story assignment: precision {precision:.3f} (target >= 0.98), "
        f"recall on reposts {recall:.3f} (target >= 0.95) "
        f"[tp={counts['tp']} fn={counts['fn']} fp={counts['fp']} tn={counts['tn']}]"
    )
    print(
        f"event linking (stretch): {counts['event_linked']}/{counts['same_event']} same-event "
        "pairs linked (same story or same event_group)"
    )
    return {"precision": precision, "recall": recall}


def _all_articles() -> Any:
    from sqlmodel import select

    return select(Article)


def _event_groups(session: Any) -> dict[int, int | None]:
    from sqlmodel import select

    from storage.models import Story

    return {story.id: story.event_group for story in session.exec(select(Story)).all()}


# -- 2. speed --------------------------------------------------------------------------------


def build_index(path: Path, count: int, seed: int) -> np.ndarray:
    """Write ``count`` synthetic articles, stories, signatures and band keys; return the values."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**32, size=(count, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute(
        "INSERT INTO sources (id, name, start_urls, tags, created_at, updated_at) "
        "VALUES ('synthetic', 'synthetic', '[]', '[]', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
    )
    chunk = 100_000
    started = time.perf_counter()
    for start in range(0, count, chunk):
        ids = range(start + 1, min(count, start + chunk) + 1)
        connection.executemany(
            "INSERT INTO stories (id, first_seen_at) VALUES (?, '2025-01-01 00:00:00')",
            ((i,) for i in ids),
        )
        connection.executemany(
            "INSERT INTO articles (id, story_id, source_id, url, canonical_url, title, text, "
            "content_hash, extracted_at, fetched_at, flags, topics) VALUES "
            "(?, ?, 'synthetic', ?, ?, 't', 'x', ?, '2025-01-01 00:00:00', "
            "'2025-01-01 00:00:00', '[]', '[]')",
            ((i, i, f"http://s.example/{i}", f"http://s.example/{i}", f"h{i}") for i in ids),
        )
        block = values[start : start + len(ids)]
        connection.executemany(
            "INSERT INTO article_signatures (article_id, signature, shingles) VALUES (?, ?, 500)",
            ((i, block[n].astype("<u4").tobytes()) for n, i in enumerate(ids)),
        )
        print(f"  {start + len(ids):>9,} articles written ({time.perf_counter() - started:.0f} s)")
    keys = band_key_matrix(values)
    flat = np.column_stack([keys.ravel(), np.repeat(np.arange(1, count + 1), BANDS)])
    flat = flat[np.lexsort((flat[:, 1], flat[:, 0]))]  # key order: appends to the B-tree
    for start in range(0, len(flat), 1_000_000):
        connection.executemany(
            "INSERT OR IGNORE INTO lsh_bands (band_key, article_id) VALUES (?, ?)",
            ((int(k), int(a)) for k, a in flat[start : start + 1_000_000]),
        )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    print(f"  index of {count:,} articles built in {time.perf_counter() - started:.0f} s")
    return values


def measure_assignment(path: Path, values: np.ndarray, queries_count: int, seed: int) -> None:
    rng = np.random.default_rng(seed + 1)
    rss_before = _rss_mb()
    engine = make_engine(f"sqlite:///{path}")
    assign_ms: list[float] = []
    total_ms: list[float] = []
    found = near = 0
    next_id = len(values) + 1
    for n in range(queries_count):
        if n % 2 == 0:
            target = int(rng.integers(0, len(values)))
            sig = values[target].copy()
            changed = rng.choice(NUM_PERM, size=NUM_PERM // 5, replace=False)
            sig[changed] = rng.integers(0, 2**32, size=len(changed), dtype=np.uint64)
            near += 1
        else:
            target = -1
            sig = rng.integers(0, 2**32, size=NUM_PERM, dtype=np.uint64).astype(np.uint32)
        article_id = next_id + n
        candidate = StoryCandidate(
            article_id=article_id,
            content_hash=f"q{article_id}",
            text_length=2000,
            signature=Signature(sig.astype(np.uint32), 500),
            fetched_at=FETCHED,
        )
        started = time.perf_counter()
        with session_scope(engine, write=True) as session:
            session.connection().exec_driver_sql(
                "INSERT INTO articles (id, source_id, url, canonical_url, text, content_hash, "
                "extracted_at, fetched_at, flags, topics) VALUES (?, 'synthetic', ?, ?, 'x', ?, "
                "'2025-01-01 00:00:00', '2025-01-01 00:00:00', '[]', '[]')",
                (article_id, f"q{article_id}", f"q{article_id}", f"q{article_id}"),
            )
            assigned = time.perf_counter()
            result = assign_stories(session=session, candidates=[candidate])[0]
            assign_ms.append((time.perf_counter() - assigned) * 1000)
        total_ms.append((time.perf_counter() - started) * 1000)
        if target >= 0 and result.story_id == target + 1:
            found += 1
    engine.dispose()
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(
        f"assign_stories: median {statistics.median(assign_ms):.2f} ms, "
        f"p95 {np.percentile(assign_ms, 95):.2f} ms (target: median < 20 ms)"
    )
    print(
        f"whole write transaction (insert + assign + commit): median "
        f"{statistics.median(total_ms):.2f} ms, p95 {np.percentile(total_ms, 95):.2f} ms"
    )
    print(f"near-duplicates that found their story: {found}/{near}")
    print(f"database size: {size / 1e6:,.0f} MB for {len(values):,} indexed articles")
    print(
        f"RSS during assignment: {rss_before:,.0f} MB before, {_rss_mb():,.0f} MB after "
        f"{queries_count} assignments (the index stays in the database, not in memory)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:,.0f} MB (building the synthetic index)")


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-speed", action="store_true", help="only the labelled pairs")
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fw-dedup-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        print("== story assignment on the labelled pairs ==")
        evaluate_pairs(folder)
        if not args.skip_speed:
            print(f"\n== assignment speed with {args.articles:,} indexed articles (SQLite) ==")
            index = folder / "index.db"
            index.unlink(missing_ok=True)
            values = build_index(index, args.articles, args.seed)
            measure_assignment(index, values, args.queries, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
