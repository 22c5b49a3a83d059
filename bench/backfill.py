"""Backfill benchmark: crawling a whole new site, re-extracting it, and the extraction ceiling.

Generates one TRS-style government site (``--pages`` article pages of 50-150 KB, a quarter GBK,
plus list pages of 50 links with a ``createPageHTML`` pager and a 下一页 link) into a temp dir,
serves it on 127.0.0.1 from a separate process (``bench/httpserve.py``), and measures:

1. ``forumwatch crawl`` with politeness off (no delay, no AutoThrottle, 16 per site) into a fresh
   SQLite file: wall time, articles stored / wall = pages/s;
2. ``forumwatch reextract`` over the stored pages: pages/s;
3. the extraction ceiling: ``extract_article`` plus ``article_content`` (normalization, flags,
   relevance) over the same page bodies in this process, pinned to one core, after a warm-up (time spent in the calls only);
4. peak memory of (1) and (2): summed RSS of the process and all its descendants every 0.2 s.

Targets: crawl >= 1.0x the ceiling, reextract >= 1.6x, each peak < 500 MB. The number of stored
articles must equal ``--pages``. Prints a table and one JSON line; exits 1 when a run failed or
articles are missing (``--strict``: also when a target is missed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime
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
    run_in_scratch,
    run_measured,
)

SOURCE_ID = "bench-news"
PER_LIST_PAGE = 50
TARGET_CRAWL, TARGET_REEXTRACT, TARGET_MEMORY = 1.0, 1.6, 500e6
WARMUP_PAGES = 20


@dataclass
class Site:
    specs: list[sitegen.ArticleSpec]
    manifest: Path
    list_pages: int
    bytes_written: int
    seconds: float


def build_site(root: Path, pages: int, seed: int) -> Site:
    started = time.perf_counter()
    rng = random.Random(seed)
    style = sitegen.make_style(rng)
    specs = sitegen.plan_articles(
        rng, pages, city=style.city, newest=datetime(2024, 12, 20, 10, 30)
    )
    writer = sitegen.SiteWriter(root)
    list_pages = sitegen.write_news_site(writer, style, specs, rng=rng, per_page=PER_LIST_PAGE)
    manifest = writer.save()
    return Site(specs, manifest, list_pages, writer.bytes_written, time.perf_counter() - started)


def write_config(folder: Path, port: int, list_pages: int) -> tuple[Path, str]:
    database = f"sqlite:///{folder / 'forumwatch.db'}"
    config = {
        "database": database,
        "allow_private_networks": True,  # the site is on loopback
        "scrapy_settings": {
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        },
        "sources": [
            {
                "id": SOURCE_ID,
                "name": "基准测试 新闻中心",
                "start_urls": [f"http://127.0.0.1:{port}{sitegen.list_path(0)}"],
                "max_list_pages": min(10_000, list_pages + 10),
            }
        ],
    }
    path = folder / "forumwatch.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path, database


# -- checks on the stored articles -----------------------------------------------------------


def stored_summary(database: str, specs: list[sitegen.ArticleSpec], port: int) -> dict[str, Any]:
    """How many articles are stored, and how many got the title and date the page states."""
    from sqlmodel import select

    from crawler.discover.urls import canonicalize
    from storage.db import get_engine, session_scope
    from storage.models import Article, CrawlRun

    expected = {canonicalize(f"http://127.0.0.1:{port}{spec.path}"): spec for spec in specs}
    with session_scope(get_engine(database)) as session:
        rows = session.exec(
            select(Article.canonical_url, Article.title, Article.published_on, Article.text)
        ).all()
        runs = session.exec(select(CrawlRun)).all()
    titles = dates = empty = 0
    for url, title, published_on, text in rows:
        spec = expected.get(url)
        if spec is None:
            continue
        titles += title == spec.title
        dates += published_on == spec.published.date()
        empty += not (text or "").strip()
    return {
        "stored": len(rows),
        "expected_urls_stored": sum(1 for url, *_ in rows if url in expected),
        "title_ok": titles,
        "date_ok": dates,
        "empty_text": empty,
        "runs": [
            {
                "status": run.status,
                "list_pages": run.list_pages,
                "new": run.new_articles,
                "failed": run.failed,
                "errors": run.errors[:3],
            }
            for run in runs
        ],
    }


# -- the extraction ceiling ------------------------------------------------------------------


def measure_ceiling(
    site_root: Path, specs: list[sitegen.ArticleSpec], port: int, sample: int, limit: float
) -> dict[str, Any]:
    """Pages/s of the extraction code alone (extraction, then normalization, flags and
    relevance: what a worker does per page), one process on one core, after a warm-up."""
    from crawler.crawl.article_builder import article_content
    from crawler.extract.extraction import extract_article

    chosen = _spread(specs, sample)
    warmup = _spread(specs, WARMUP_PAGES)
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous)})
    try:
        for spec in warmup:
            body, url = _page(site_root, spec, port)
            article_content(extract_article(body, url, header_charset=spec.header_charset))
        spent = 0.0
        done = 0
        deadline = time.monotonic() + limit
        for spec in chosen:
            body, url = _page(site_root, spec, port)
            started = time.perf_counter()
            article_content(extract_article(body, url, header_charset=spec.header_charset))
            spent += time.perf_counter() - started
            done += 1
            if time.monotonic() > deadline:
                print(f"!! ceiling: time limit reached after {done} pages", file=sys.stderr)
                break
    finally:
        os.sched_setaffinity(0, previous)
    return {"pages": done, "seconds": spent, "rate": done / spent if spent else 0.0}


def _spread(specs: list[sitegen.ArticleSpec], count: int) -> list[sitegen.ArticleSpec]:
    count = max(1, min(count, len(specs)))
    step = len(specs) / count
    return [specs[int(i * step)] for i in range(count)]


def _page(root: Path, spec: sitegen.ArticleSpec, port: int) -> tuple[bytes, str]:
    return (
        root / "_any" / spec.path.lstrip("/")
    ).read_bytes(), f"http://127.0.0.1:{port}{spec.path}"


# -- report ----------------------------------------------------------------------------------


def reextract_count(run: RunResult) -> int | None:
    match = re.search(r"re-extracted (\d+) articles", run.stdout.read_text(errors="replace"))
    return int(match.group(1)) if match else None


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(args: argparse.Namespace, results: dict[str, Any]) -> bool:
    """Print the table; True when every target was met."""
    ceiling = results["ceiling"].get("rate", 0.0)
    crawl, reextract, stored = results["crawl"], results["reextract"], results["stored"]
    crawl_ratio = crawl.get("rate", 0.0) / ceiling if ceiling else 0.0
    re_ratio = reextract.get("rate", 0.0) / ceiling if ceiling else 0.0
    checks = {
        "crawl": crawl_ratio >= TARGET_CRAWL,
        "reextract": re_ratio >= TARGET_REEXTRACT,
        "crawl_memory": 0 < crawl.get("peak_rss", 0) < TARGET_MEMORY,
        "reextract_memory": 0 < reextract.get("peak_rss", 0) < TARGET_MEMORY,
    }
    results.update(crawl_ratio=crawl_ratio, reextract_ratio=re_ratio, targets_met=checks)
    print(
        f"\n== backfill: {args.pages} pages ({results['site']['list_pages']} list pages, "
        f"{results['site']['mb']:.0f} MB of HTML), {os.cpu_count()} cores, "
        f"load average at start {results['load_average']:.2f}"
    )
    print(f"  {'phase':<15}{'figure':>16}   {'detail':<40}target")
    for name, run, ratio, target in (
        ("crawl", crawl, crawl_ratio, TARGET_CRAWL),
        ("reextract", reextract, re_ratio, TARGET_REEXTRACT),
    ):
        detail = (
            f"{run.get('wall', 0):.1f} s wall, {run.get('cpu', 0):.1f} CPU-s "
            f"(main {run.get('cpu_main', 0):.1f})"
        )
        _row(
            name,
            f"{run.get('rate', 0):.1f} pages/s",
            detail,
            f"{ratio:.2f}x ceiling (>= {target}x) {verdict(checks[name])}",
        )
    ceiling_detail = (
        f"{results['ceiling'].get('pages', 0)} pages, {results['ceiling'].get('seconds', 0):.1f} s"
    )
    _row("ceiling", f"{ceiling:.1f} pages/s", ceiling_detail, "extract + analyze, 1 core")
    for name, run in (("crawl", crawl), ("reextract", reextract)):
        _row(
            f"{name} peak",
            mb(run.get("peak_rss", 0)),
            f"{run.get('peak_processes', 0)} processes",
            f"< 500 MB {verdict(checks[name + '_memory'])}",
        )
    _row(
        "stored",
        str(stored.get("stored", "?")),
        f"of {args.pages} pages",
        verdict(stored.get("stored") == args.pages).replace("MISSED", "MISMATCH"),
    )
    _row(
        "extracted ok",
        f"{stored.get('title_ok', 0)} titles",
        f"{stored.get('date_ok', 0)} dates, {stored.get('empty_text', 0)} empty texts",
        "info",
    )
    server = results.get("server", {})
    print(f"  server saw {server.get('kinds')} statuses {server.get('statuses')}")
    print(
        f"  server CPU-s (shares the cores): crawl {crawl.get('server_cpu', 0):.1f}, "
        f"reextract {reextract.get('server_cpu', 0):.1f}"
    )
    return all(checks.values())


def _row(name: str, figure: str, detail: str, target: str) -> None:
    print(f"  {name:<15}{figure:>16}   {detail:<40}{target}")


def _figures(run: RunResult, pages: int, server_cpu: float) -> dict[str, Any]:
    return {
        "pages": pages,
        "wall": run.wall,
        "cpu": run.cpu,
        "cpu_main": run.cpu_main,
        "server_cpu": server_cpu,
        "rate": pages / run.wall if run.wall else 0.0,
        "peak_rss": run.peak_rss,
        "peak_processes": run.peak_processes,
        "returncode": run.returncode,
        "timed_out": run.timed_out,
    }


class Phases:
    """Runs the measured phases; a failing phase is recorded and the next still runs."""

    def __init__(self, args: argparse.Namespace, folder: Path, site: Site) -> None:
        self.args = args
        self.folder = folder
        self.site = site
        self.fw = forumwatch_command()
        self.failures: list[str] = []
        self.results: dict[str, Any] = {
            "bench": "backfill",
            "pages": args.pages,
            "load_average": os.getloadavg()[0],
            "site": {"list_pages": site.list_pages, "mb": site.bytes_written / 1e6},
            "crawl": {},
            "reextract": {},
            "ceiling": {},
            "stored": {},
        }

    def guarded(self, name: str, step: Any, *params: Any) -> None:
        try:
            step(*params)
        except Exception as exc:  # report and go on: the other phases still say something
            self.failures.append(f"{name} could not run: {type(exc).__name__}: {exc}")

    def crawl(self, config: Path, database: str, server: ServerProcess) -> None:
        print(f"crawling {server.url(sitegen.list_path(0))} ...", flush=True)
        command = [
            self.fw,
            "--config",
            str(config),
            "crawl",
            "--log-level",
            "WARNING",
            "--log-file",
            str(self.folder / "crawl.log"),
        ]
        if self.args.profile:
            command = profiled(command, self.folder / "crawl.prof")
        server_cpu = process_cpu(server.pid)
        run = run_measured(
            command,
            timeout=self.args.timeout,
            out_dir=self.folder,
            name="crawl",
            env=child_env(),
        )
        server_cpu = process_cpu(server.pid) - server_cpu
        self.results["crawl"] = _figures(run, 0, server_cpu)
        if not run.ok:
            self.failures.append(
                f"crawl failed (exit {run.returncode}, timed out: {run.timed_out})\n{run.tail()}"
            )
        stored = stored_summary(database, self.site.specs, server.port)
        self.results["stored"] = stored
        self.results["crawl"] = _figures(run, stored["stored"], server_cpu)
        print(f"crawl: {stored['stored']} stored in {run.wall:.1f} s", flush=True)
        if stored["stored"] != self.args.pages or stored["expected_urls_stored"] != self.args.pages:
            self.failures.append(
                f"STORED ARTICLES MISMATCH: {stored['stored']} stored "
                f"({stored['expected_urls_stored']} of the site's), expected {self.args.pages}; "
                f"runs: {stored['runs']}"
            )

    def reextract(self, config: Path, server: ServerProcess) -> None:
        print("re-extracting ...", flush=True)
        server_cpu = process_cpu(server.pid)
        run = run_measured(
            [self.fw, "--config", str(config), "reextract"],
            timeout=self.args.timeout,
            out_dir=self.folder,
            name="reextract",
            env=child_env(),
        )
        count = reextract_count(run)
        server_cpu = process_cpu(server.pid) - server_cpu
        self.results["reextract"] = _figures(run, count or 0, server_cpu)
        if not run.ok or count is None:
            self.failures.append(f"reextract failed (exit {run.returncode})\n{run.tail()}")
        print(f"reextract: {count} in {run.wall:.1f} s", flush=True)

    def ceiling(self, port: int) -> None:
        print("measuring the extraction ceiling ...", flush=True)
        sample = self.args.ceiling_sample or len(self.site.specs)
        self.results["ceiling"] = measure_ceiling(
            self.site.manifest.parent, self.site.specs, port, sample, self.args.timeout
        )


def run(args: argparse.Namespace, folder: Path) -> int:
    site = build_site(folder / "site", args.pages, args.seed)
    print(
        f"site: {len(site.specs)} articles + {site.list_pages} list pages, "
        f"{site.bytes_written / 1e6:.0f} MB, generated in {site.seconds:.1f} s"
    )
    phases = Phases(args, folder, site)
    with ServerProcess(site.manifest, ["127.0.0.1"], log=folder / "server.log") as server:
        config, database = write_config(folder, server.port, site.list_pages)
        phases.guarded("crawl", phases.crawl, config, database, server)
        phases.results["server"] = server.stats()
        phases.guarded("reextract", phases.reextract, config, server)
        phases.guarded("ceiling", phases.ceiling, server.port)
    results = phases.results
    met = report(args, results)
    if args.profile:
        print_profile(folder / "crawl.prof")
    results["failures"] = [failure.splitlines()[0] for failure in phases.failures]
    for failure in phases.failures:
        print(f"\n!!!!! {failure}", file=sys.stderr)
    print(json.dumps(results, default=str, ensure_ascii=False))
    return 1 if phases.failures or (args.strict and not met) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000, help="article pages (default 5000)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument(
        "--ceiling-sample", type=int, default=0, help="pages for the ceiling (0: all)"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per phase")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", action="store_true", help="cProfile the crawl's main process")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    args.pages = max(1, min(args.pages, 200_000))
    exit_on_sigterm()
    run_in_scratch("fw-backfill-", args.keep, lambda folder: run(args, folder))


if __name__ == "__main__":
    main()
