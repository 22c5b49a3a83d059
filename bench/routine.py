"""Routine-crawl benchmark: a thousand unchanged sites, every article already known.

Each of ``--sources`` sites (default 1,000) gets its own loopback address (127.0.X.Y, one port
for all; Scrapy keys download slots by host, so distinct IPs are distinct sites) with a
robots.txt and two list pages of 20 article links each (plus the usual chrome links, a TRS pager
and a 下一页 link); the article pages themselves are not even served. A fresh SQLite database is
primed through the storage API so every article URL is known (``crawled_urls`` state
'article'), without crawling them, and every list chain walked (as a first crawl leaves them).
Then two ``forumwatch crawl`` run with the default politeness settings: the first routine crawl
(it fetches every robots.txt and reads every list page, then keeps the robots.txt copies and the
list pages' validators), reported for information, and the second, measured one (robots.txt
from the cache, every list page asked for conditionally; the server answers 304). ``--cold``
measures the first instead. For the measured crawl:

- wall seconds and CPU seconds (user+sys of the crawl and all its descendants) - targets < 60
  each, and < 10 CPU-s for the second (warm) crawl;
- list pages fetched (one per site expected: pagination stops at a page with nothing new, or at
  a 304), robots.txt fetched (0 warm), article pages requested (counted by the server: must be 0)
  and new articles stored (must be 0); peak summed RSS for information.

Prints a table and one JSON line; exits 1 when a correctness check fails (``--strict``: also
when a target is missed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sitegen  # noqa: E402
from httpserve import ServerProcess  # noqa: E402
from procs import (  # noqa: E402
    RunResult,
    child_env,
    exit_on_sigterm,
    forumwatch_command,
    mb,
    print_profile,
    process_cpu,
    profiled,
    raise_fd_limit,
    run_in_scratch,
    run_measured,
)
from zhtext import CITIES  # noqa: E402

LINKS_PER_PAGE = 20
LIST_PAGES_PER_SITE = 2
TARGET_WALL, TARGET_CPU = 60.0, 60.0
TARGET_CPU_WARM = 10.0  # issue 9: a routine crawl with the robots cache and conditional requests
PRIME_BATCH = 5000
MAX_SOURCES = 10_000


@dataclass
class Source:
    id: str
    address: str
    specs: list[sitegen.ArticleSpec]


def address(index: int) -> str:
    """127.0.X.Y for the index-th site, skipping .0 and .255 and the busy 127.0.0.x."""
    return f"127.0.{10 + index // 250}.{1 + index % 250}"


def build_sites(root: Path, count: int, seed: int) -> tuple[list[Source], Path, int]:
    rng = random.Random(seed)
    base = sitegen.make_style(rng)
    writer = sitegen.SiteWriter(root)
    sources: list[Source] = []
    for index in range(count):
        city = CITIES[index % len(CITIES)]
        style = sitegen.restyle(base, rng, city)
        specs = sitegen.plan_articles(
            rng,
            LINKS_PER_PAGE * LIST_PAGES_PER_SITE,
            city=city,
            newest=datetime(2024, 12, 20, 9, 0),
        )
        host = address(index)
        sitegen.write_news_site(
            writer, style, specs, rng=rng, per_page=LINKS_PER_PAGE, host=host, with_articles=False
        )
        sources.append(Source(f"site{index:05d}", host, specs))
    return sources, writer.save(), writer.bytes_written


def config_mapping(sources: list[Source], port: int, database: str) -> dict[str, Any]:
    """The YAML config: default politeness (no ``scrapy_settings``); the sites are on loopback."""
    return {
        "database": database,
        "allow_private_networks": True,
        "sources": [
            {
                "id": source.id,
                "name": f"{source.specs[0].origin} 新闻中心",
                "start_urls": [f"http://{source.address}:{port}{sitegen.list_path(0)}"],
            }
            for source in sources
        ],
    }


def prime(database: str, raw_config: dict[str, Any], sources: list[Source], port: int) -> int:
    """Record every article URL as already stored, and every source's list chain as walked to its
    end (as a first crawl leaves them), through the storage API; returns the count."""
    from crawler.config import parse_config
    from crawler.crawl.store import source_record
    from crawler.discover.urls import canonicalize
    from storage import queries
    from storage.db import get_engine, reset_engines, session_scope, upgrade_schema
    from storage.models import SourceWalk, UrlRecord

    engine = get_engine(database)
    upgrade_schema(engine)
    config = parse_config(raw_config)
    with session_scope(engine, write=True) as session:
        queries.sync_sources(session=session, sources=[source_record(s) for s in config.sources])
        walks = [
            SourceWalk(
                source_id=source.id,
                start_url=canonicalize(url),
                completed_at=datetime.now(UTC),
                ended_by="end",
                pages=1,
                max_list_pages=source.max_list_pages,
            )
            for source in config.sources
            for url in source.start_urls
        ]
        queries.record_walks(session=session, walks=walks)
    records = [
        UrlRecord(
            canonical_url=canonicalize(f"http://{source.address}:{port}{spec.path}"),
            source_id=source.id,
            state="article",
        )
        for source in sources
        for spec in source.specs
    ]
    for start in range(0, len(records), PRIME_BATCH):
        with session_scope(engine, write=True) as session:
            queries.record_urls(
                session=session, records=records[start : start + PRIME_BATCH], now=datetime.now(UTC)
            )
    reset_engines()
    return len(records)


def stored_after(database: str, after_run: int = 0) -> dict[str, Any]:
    """Articles stored and the counters of the crawl runs after ``after_run``, summed."""
    from sqlmodel import col, select

    from storage import queries
    from storage.db import get_engine, reset_engines, session_scope
    from storage.models import CrawlRun

    with session_scope(get_engine(database)) as session:
        articles = queries.count_articles(session=session)
        runs = session.exec(select(CrawlRun).where(col(CrawlRun.id) > after_run)).all()
    reset_engines()
    statuses: dict[str, int] = {}
    for run in runs:
        statuses[run.status] = statuses.get(run.status, 0) + 1
    errors = [error for run in runs for error in run.errors][:5]
    return {
        "articles": articles,
        "runs": len(runs),
        "statuses": statuses,
        "list_pages": sum(run.list_pages for run in runs),
        "new_articles": sum(run.new_articles for run in runs),
        "known_articles": sum(run.known_articles for run in runs),
        "not_modified": sum((run.counts or {}).get("not_modified", 0) for run in runs),
        "last_run": max((run.id or 0 for run in runs), default=after_run),
        "failed": sum(run.failed for run in runs),
        "errors": errors,
    }


def checks(
    count: int, run: RunResult, server: dict[str, Any], db: dict[str, Any], warm: bool
) -> list[str]:
    """Correctness failures (empty when the crawl did exactly what a routine crawl should)."""
    kinds = server.get("kinds", {})
    problems = []
    if not run.ok:
        problems.append(
            f"crawl failed (exit {run.returncode}, timed out: {run.timed_out})\n{run.tail()}"
        )
    if kinds.get("article", 0):
        problems.append(f"ARTICLE PAGES REQUESTED: {kinds['article']} (must be 0)")
    if db.get("articles", 0) or db.get("new_articles", 0):
        problems.append(f"NEW ARTICLES STORED: {db.get('articles')} (must be 0)")
    if kinds.get("list", 0) != count:
        problems.append(
            f"LIST PAGES FETCHED: {kinds.get('list', 0)}, expected {count} (one per site)"
        )
    if warm and db.get("not_modified", 0) != count:
        problems.append(f"NOT MODIFIED: {db.get('not_modified')}, expected {count} (one per site)")
    if warm and kinds.get("robots", 0):
        problems.append(f"ROBOTS.TXT FETCHED: {kinds['robots']} (must be 0: cached)")
    if not warm and db.get("known_articles", 0) < count * LINKS_PER_PAGE:
        problems.append(
            f"KNOWN LINKS SEEN: {db.get('known_articles')}, expected >= {count * LINKS_PER_PAGE}: "
            "the list pages' article links were not all found"
        )
    if db.get("failed", 0):
        problems.append(f"FAILURES: {db['failed']}; first: {db.get('errors')}")
    return problems


def report(
    count: int, run: RunResult, server: dict[str, Any], db: dict[str, Any], title: str, warm: bool
) -> dict[str, bool]:
    kinds = server.get("kinds", {})
    target_cpu = TARGET_CPU_WARM if warm else TARGET_CPU
    met = {"wall": run.wall < TARGET_WALL, "cpu": run.cpu < target_cpu}
    rows = [
        ("wall", f"{run.wall:.1f} s", f"< {TARGET_WALL:.0f} s", met["wall"]),
        (
            "CPU",
            f"{run.cpu:.1f} s",
            f"< {target_cpu:.0f} CPU-s (main {run.cpu_main:.1f})",
            met["cpu"],
        ),
        (
            "list pages",
            str(kinds.get("list", 0)),
            f"= {count} (crawl runs: {db.get('list_pages')})",
            kinds.get("list", 0) == count,
        ),
        (
            "robots.txt",
            str(kinds.get("robots", 0)),
            "= 0 (cached)" if warm else f"<= {count}",
            kinds.get("robots", 0) <= (0 if warm else count),
        ),
        (
            "not modified",
            str(db.get("not_modified")),
            f"= {count} (304s)" if warm else "(info)",
            not warm or db.get("not_modified") == count,
        ),
        ("articles req.", str(kinds.get("article", 0)), "= 0", not kinds.get("article", 0)),
        ("new stored", str(db.get("articles")), "= 0", db.get("articles") == 0),
        (
            "known links",
            str(db.get("known_articles")),
            "none read: 304s" if warm else f">= {count * LINKS_PER_PAGE}",
            warm or db.get("known_articles", 0) >= count * LINKS_PER_PAGE,
        ),
        ("failed", str(db.get("failed")), "= 0", not db.get("failed")),
        ("peak memory", mb(run.peak_rss), f"{run.peak_processes} processes (info)", True),
    ]
    print(
        f"\n== {title}: {count} unchanged sources, default politeness, "
        f"load average at start {server.get('load_average', 0):.2f}"
    )
    print(f"  {'measure':<15}{'figure':>10}   {'target':<34}verdict")
    for name, figure, target, ok in rows:
        print(f"  {name:<15}{figure:>10}   {target:<34}{'ok' if ok else 'MISSED'}")
    print(
        f"  crawl runs: {db.get('runs')} {db.get('statuses')}; server: {server.get('statuses')}, "
        f"{server.get('cpu', 0):.1f} CPU-s"
    )
    return met


def run(args: argparse.Namespace, folder: Path) -> int:
    started = time.perf_counter()
    sources, manifest, size = build_sites(folder / "sites", args.sources, args.seed)
    print(
        f"sites: {len(sources)} x (robots.txt + {LIST_PAGES_PER_SITE} list pages), "
        f"{size / 1e6:.0f} MB, generated in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    addresses = [source.address for source in sources]
    with ServerProcess(manifest, addresses, log=folder / "server.log") as server:
        database = f"sqlite:///{folder / 'forumwatch.db'}"
        raw = config_mapping(sources, server.port, database)
        config = folder / "forumwatch.yaml"
        config.write_text(yaml.safe_dump(raw, allow_unicode=True))
        primed = prime(database, raw, sources, server.port)
        print(f"primed {primed} known article URLs; crawling on port {server.port} ...", flush=True)
        rounds = [("first routine crawl", False)] + ([] if args.cold else [("warm", True)])
        last_run = 0
        for index, (title, warm) in enumerate(rounds):
            measured = index == len(rounds) - 1
            load_average = os.getloadavg()[0]
            before, server_cpu = server.stats(), process_cpu(server.pid)
            command = [
                forumwatch_command(),
                "--config",
                str(config),
                "crawl",
                "--log-level",
                "WARNING",
                "--log-file",
                str(folder / f"crawl{index}.log"),
            ]
            if args.profile and measured:
                command = profiled(command, folder / "crawl.prof")
            crawl = run_measured(
                command, timeout=args.timeout, out_dir=folder, name=f"crawl{index}", env=child_env()
            )
            server_stats = _delta(server.stats(), before)
            server_stats["cpu"] = process_cpu(server.pid) - server_cpu
            server_stats["load_average"] = load_average
            db = stored_after(database, last_run)
            last_run = db["last_run"]
            problems = checks(len(sources), crawl, server_stats, db, warm)
            if warm:
                title = "routine crawl, robots.txt cached and list pages conditional (measured)"
            elif measured:
                title = "first routine crawl (measured, --cold)"
            met = report(len(sources), crawl, server_stats, db, title, warm)
            if not measured and problems:
                break
    if args.profile:
        print_profile(folder / "crawl.prof")
    for problem in problems:
        print(f"\n!!!!! {problem}", file=sys.stderr)
    result = {
        "bench": "routine",
        "sources": len(sources),
        "wall": crawl.wall,
        "cpu": crawl.cpu,
        "peak_rss": crawl.peak_rss,
        "server": server_stats,
        "db": db,
        "targets_met": met,
        "failures": [problem.splitlines()[0] for problem in problems],
    }
    print(json.dumps(result, default=str, ensure_ascii=False))
    return 1 if problems or (args.strict and not all(met.values())) else 0


def _delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Requests made by the crawl only (priming makes none, but be exact)."""
    kinds = {k: v - before["kinds"].get(k, 0) for k, v in after["kinds"].items()}
    statuses = {k: v - before["statuses"].get(k, 0) for k, v in after["statuses"].items()}
    return {
        "requests": after["requests"] - before["requests"],
        "kinds": {k: v for k, v in kinds.items() if v},
        "statuses": {k: v for k, v in statuses.items() if v},
        "connections": after["connections"] - before["connections"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000, help="sites (default 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for the crawl")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--profile", action="store_true", help="cProfile the measured crawl")
    parser.add_argument(
        "--cold", action="store_true", help="measure the first routine crawl (no cache yet)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    args.sources = max(1, min(args.sources, MAX_SOURCES))
    exit_on_sigterm()
    raise_fd_limit()
    run_in_scratch("fw-routine-", args.keep, lambda folder: run(args, folder))


if __name__ == "__main__":
    main()
