"""Search benchmark: query latency over 100,000 articles of realistic Chinese text, and index size.

Run: ``.venv/bin/python bench/search.py [--articles 100000] [--backend sqlite|postgresql|both]``
(``make bench-search``; part of ``make bench``). For each backend: a fresh database (a temp
SQLite file; a new PostgreSQL database next to ``$FORUMWATCH_TEST_POSTGRES_URL``, dropped
afterwards) at the latest migration, the corpus of ``bench/searchcorpus.py`` inserted with
batched Core inserts, the search index built (``storage.search.apply_pending``), then a mix of
2-, 3- and 4+-character queries, Latin and numbers, boolean queries, each without and with
filters (source, tag, relevance, a year, a topic), the first 20 results with their snippets as
``forumwatch search`` shows them, one fresh session per query. Prints p50/p95/max per kind of
query and overall, the build times, and the index's size against the text's; one JSON line at
the end. Target: p95 < 50 ms on SQLite. Exits 1 when it is missed with ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from bench.searchcorpus import write_corpus  # noqa: E402
from crawler.search.query import parse  # noqa: E402
from crawler.search.snippets import highlight, snippet  # noqa: E402
from storage import search  # noqa: E402
from storage.db import get_engine, reset_engines, session_scope, upgrade_schema  # noqa: E402

TARGET_P95_MS = 50.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
QUERIES: dict[str, tuple[str, ...]] = {
    "2 chars": ("城投", "论坛", "城市", "峰会", "改造", "荆门", "签约", "管廊", "燃气", "市长"),
    "3 chars": ("城中村", "新能源", "副市长", "高质量", "研讨会", "十堰市", "安置房", "会展中"),
    "4+ chars": (
        "新质生产力",
        "老旧小区改造",
        "城市更新",
        "海绵城市建设",
        "低空经济发展",
        "历史文化街区",
        "国土空间规划",
        "城市生命线安全工程",
    ),
    "latin/digits": ("5G", "REITs", "AI赋能", "GDP", "EOD模式", "2024年"),
    "boolean": ("城投 论坛", '"城市更新" OR 旧改', "城市更新 -征求意见", "峰会 OR 论坛 荆门"),
}
FILTERS: tuple[tuple[str, search.ArticleFilter], ...] = (
    ("none", search.ArticleFilter()),
    ("source", search.ArticleFilter(sources=("site-03",))),
    ("relevant", search.ArticleFilter(relevant=True)),
    ("year", search.ArticleFilter(since=date(2023, 1, 1), until=date(2023, 12, 31))),
    ("topic", search.ArticleFilter(topics=("urban_renewal",))),
    ("tag+year", search.ArticleFilter(tags=("gov",), since=date(2024, 1, 1))),
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_query(engine: Any, query: str, filters: search.ArticleFilter) -> int:
    """One search as the CLI runs it: parse, search, snippets of the first 20 results."""
    parsed = parse(query)
    terms = parsed.positive_terms()
    with session_scope(engine) as session:
        hits = search.search(session=session, clauses=parsed.clauses, filters=filters, limit=20)
        for hit in hits:
            highlight(hit.article.title, terms)
            snippet(hit.article.text, terms)
    return len(hits)


def measure(engine: Any, rounds: int) -> dict[str, Any]:
    timings: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    filtered: dict[bool, list[float]] = {False: [], True: []}
    for queries in QUERIES.values():  # warm-up: each query once
        for query in queries:
            run_query(engine, query, FILTERS[0][1])
    for round_number in range(rounds):
        for kind, queries in QUERIES.items():
            for index, query in enumerate(queries):
                name, filters = FILTERS[(index + round_number) % len(FILTERS)]
                started = time.perf_counter()
                run_query(engine, query, filters)
                elapsed = (time.perf_counter() - started) * 1000
                timings[kind].append(elapsed)
                filtered[name != "none"].append(elapsed)
    every = [value for values in timings.values() for value in values]
    summary = {kind: _stats(values) for kind, values in timings.items()}
    summary["without filters"] = _stats(filtered[False])
    summary["with filters"] = _stats(filtered[True])
    summary["all"] = _stats(every)
    return summary


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 2),
        "p95": round(percentile(values, 0.95), 2),
        "max": round(max(values), 2),
    }


@contextmanager
def database(backend: str, keep: Path | None) -> Iterator[str]:
    if backend == "sqlite":
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            yield f"sqlite:///{keep / 'search-bench.db'}"
            return
        with tempfile.TemporaryDirectory(prefix="fw-search-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'search-bench.db'}"
        return
    admin = create_engine(
        os.environ.get("FORUMWATCH_TEST_POSTGRES_URL", DEFAULT_PG),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    name = f"fw_bench_search_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        reset_engines()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def build(url: str, articles: int) -> dict[str, float]:
    engine = get_engine(url)
    upgrade_schema(engine)
    with session_scope(engine) as session:
        if search.pending_count(session=session) == 0 and _article_count(session) >= articles:
            return {"insert_s": 0.0, "index_s": 0.0}  # --keep: already built
    started = time.perf_counter()
    with session_scope(engine, write=True) as session:
        write_corpus(session.connection(), articles)
    inserted = time.perf_counter()
    with session_scope(engine, write=True) as session:
        search.apply_pending(session=session)
    indexed = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    return {"insert_s": round(inserted - started, 1), "index_s": round(indexed - inserted, 1)}


def _article_count(session: Any) -> int:
    return int(session.connection().exec_driver_sql("SELECT count(*) FROM articles").scalar_one())


def bench_backend(backend: str, articles: int, rounds: int, keep: Path | None) -> dict[str, Any]:
    with database(backend, keep) as url:
        print(f"\n== {backend}: {articles} articles", flush=True)
        times = build(url, articles)
        print(f"inserted in {times['insert_s']} s, indexed in {times['index_s']} s", flush=True)
        engine = get_engine(url)
        summary = measure(engine, rounds)
        with session_scope(engine) as session:
            size = search.index_size(session=session)
        reset_engines()
    print(f"{'queries':18} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, stats in summary.items():
        print(f"{kind:18} {stats['n']:>5} {stats['p50']:>8} {stats['p95']:>8} {stats['max']:>8}")
    ratio = size.index_bytes / size.text_bytes if size.text_bytes else 0.0
    print(
        f"index {size.index_bytes / 1e6:.1f} MB for {size.text_bytes / 1e6:.1f} MB of text "
        f"({ratio:.2f}x)"
    )
    return {
        "backend": backend,
        "articles": articles,
        **times,
        "queries": summary,
        "index_mb": round(size.index_bytes / 1e6, 1),
        "text_mb": round(size.text_bytes / 1e6, 1),
        "index_to_text": round(ratio, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=6, help="times each query is measured")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--keep", type=Path, help="SQLite: keep (and reuse) the database here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [bench_backend(name, args.articles, args.rounds, args.keep) for name in backends]
    print(json.dumps({"bench": "search", "results": results}, ensure_ascii=False))
    sqlite = next((r for r in results if r["backend"] == "sqlite"), None)
    if sqlite is not None:
        p95 = sqlite["queries"]["all"]["p95"]
        verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
        print(f"SQLite p95 {p95} ms (target < {TARGET_P95_MS:g} ms): {verdict}")
        if args.strict and p95 >= TARGET_P95_MS:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
