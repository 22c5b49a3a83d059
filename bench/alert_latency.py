"""Alert latency: from an article stored (its transaction committed) to its alert delivered.

Run: ``.venv/bin/python bench/alert_latency.py [--alerts N] [--interval S] [--spacing S]``
(also ``make bench-alerts``, part of ``make bench``).

A fresh SQLite file; ``forumwatch serve``'s dispatcher (``DispatchLoop``, polling every
``--interval`` seconds, default 1.0) runs on its thread; ``--alerts`` (default 100) forum
articles of a baselined source are stored one per ``CrawlStore.store_batch`` (as a crawl's store
pipeline writes them), ``--spacing`` seconds apart (default 0.05, so they land at every phase of
the loop), each alerting one ``json://`` rule whose receiver is a local HTTP server. Latency is
the receiver's arrival time minus the store's commit time. Reports p50, p95 and max, and
checks every alert arrived exactly once. Target (issue 9): under 5 s.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.alerts.dispatch import DispatchLoop  # noqa: E402
from crawler.alerts.outbox import ArticleAlerter  # noqa: E402
from crawler.config import SourceConfig, parse_config  # noqa: E402
from crawler.crawl.store import CrawlStore  # noqa: E402
from storage.db import get_engine, upgrade_schema  # noqa: E402
from storage.models import NewArticle  # noqa: E402
from tests.alert_receivers import HttpReceiver  # noqa: E402
from tests.articles import new_article  # noqa: E402
from tests.faults.newsroom import article_text, article_title  # noqa: E402


def forum_article(n: int, rng: random.Random) -> NewArticle:
    """Article ``n``: the fixture's forum paragraph and random Chinese prose, so that no two
    articles are one story (a story alerts once, whatever its reposts)."""
    prose = "\n".join(
        "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(80)) + "。" for _ in range(5)
    )
    text = re.sub(r"</?p>", "\n", article_text(n)).strip() + "\n" + prose
    made = new_article({"id": str(n), "title": article_title(n), "text": text}, "a", n)
    now = datetime.now(UTC)
    return made.model_copy(update={"fetched_at": now, "published_on": now.date(), "relevant": True})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--spacing", type=float, default=0.05)
    args = parser.parse_args()

    rng = random.Random(9)
    articles = [forum_article(n, rng) for n in range(1, args.alerts + 1)]
    with tempfile.TemporaryDirectory() as tmp, HttpReceiver() as receiver:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = get_engine(url)
        upgrade_schema(engine)
        config = parse_config(
            {
                "database": url,
                "sources": [{"id": "a", "name": "a", "start_urls": ["https://a.example/"]}],
                "alerts": [{"name": "bench", "notify": [receiver.url()]}],
            }
        )
        store = CrawlStore(engine)
        store.sync_sources([SourceConfig.model_validate(config.sources[0].model_dump())])
        store.alerter = ArticleAlerter.for_crawl(config, {"a"})
        loop = DispatchLoop(engine, config, interval=args.interval)
        loop.start()
        stored: dict[str, float] = {}
        try:
            for article in articles:
                store.store_batch([(article, ())])
                stored[article.title or ""] = time.monotonic()
                time.sleep(args.spacing)
            arrived = receiver.wait_for(len(articles), timeout=30 + args.interval * 5)
            time.sleep(args.interval * 2)  # anything sent twice would arrive by now
        finally:
            loop.stop(timeout=30)
        titles = [r.json()["title"].removeprefix("【forumwatch】") for r in receiver.received]
        latencies = [r.at - stored[t] for r, t in zip(arrived, titles, strict=False)]
    duplicates = len(titles) - len(set(titles))
    print(
        f"alert latency, stored -> delivered to a local json:// receiver, DispatchLoop interval {args.interval:g} s"
    )
    print(f"  alerts stored {len(stored)}, delivered {len(set(titles))}, duplicates {duplicates}")
    print(
        f"  p50 {statistics.median(latencies) * 1000:.0f} ms   p95 {percentile(latencies, 0.95) * 1000:.0f} ms"
        f"   max {max(latencies) * 1000:.0f} ms   (target: under 5 s)"
    )
    ok = len(set(titles)) == len(stored) and duplicates == 0 and percentile(latencies, 0.95) < 5
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
