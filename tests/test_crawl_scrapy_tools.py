"""Scrapy's own tools on the repository, as a Scrapy user runs them from its root.

``scrapy list`` and ``scrapy check`` work; ``scrapy crawl forumwatch`` crawls the fixture sites on
loopback with the config named by ``$FORUMWATCH_CONFIG`` (or ``-s FORUMWATCH_CONFIG=...``): its
database and ``allow_private_networks`` apply (the sites are on 127.0.0.1), and the same
components as ``forumwatch crawl`` run (store pipeline, run recorder, seen-URL filter): the
expected articles are stored, a run is recorded per source, a second crawl stores nothing new
and reads no article, ``-a sources=...`` crawls only those. One module-scoped series of crawls in
child processes (a Twisted reactor runs once per process), on SQLite.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import get_engine, reset_engines, session_scope
from storage.models import Article, CrawlRun
from tests.fixtures_db import sqlite_url
from tests.fixtures_sites import (
    FAST_RETRIES,
    cli_env,
    demo_config,
    expected_urls,
    site_expectations,
    site_names,
    snapshot_hits,
    update_scrapy_settings,
)
from tests.sites.demo import REPO_ROOT
from tests.sites.server import Hit, SiteServer

SITES = site_names()
TIMEOUT = 240.0


def scrapy(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``scrapy ARGS...`` from the repository root, ``$FORUMWATCH_CONFIG`` set to ``config``."""
    script = Path(sys.executable).with_name("scrapy")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "scrapy"]
    env = cli_env()
    if config is not None:
        env["FORUMWATCH_CONFIG"] = str(config)
    return subprocess.run(
        [*command, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@dataclass
class Step:
    result: subprocess.CompletedProcess[str]
    hits: dict[str, list[Hit]]
    articles: list[tuple[str, str]]
    """(source id, URL) of every stored article after the step."""
    article_runs: dict[str, int | None]
    """URL -> the crawl run that stored the article."""
    runs: list[CrawlRun]
    """Every crawl-run row after the step, oldest first."""


@dataclass
class Crawls:
    base: dict[str, str]
    first: Step
    second: Step
    subset: Step
    subset_source: str


def _step(
    db_url: str, servers: dict[str, SiteServer], *args: str, config: Path | None = None
) -> Step:
    for server in servers.values():
        server.clear_hits()
    result = scrapy("crawl", "forumwatch", "-s", "LOG_LEVEL=WARNING", *args, config=config)
    assert result.returncode == 0, result.stderr[-4000:]
    with session_scope(get_engine(db_url)) as session:
        stored = session.exec(select(Article)).all()
        articles = sorted((a.source_id, a.url) for a in stored)
        article_runs = {a.url: a.crawl_run_id for a in stored}
        runs = list(session.exec(select(CrawlRun).order_by(CrawlRun.id)).all())  # type: ignore[arg-type]
    return Step(result, snapshot_hits(servers), articles, article_runs, runs)


@pytest.fixture(scope="module")
def crawls(
    demo_sites: dict[str, str],
    demo_site_servers: dict[str, SiteServer],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Crawls]:
    tmp = tmp_path_factory.mktemp("scrapy-tools")
    db_url = sqlite_url(tmp)
    config = update_scrapy_settings(demo_config(tmp, demo_sites, db_url), **FAST_RETRIES)
    first = _step(db_url, demo_site_servers, config=config)
    # the config named by the setting this time, not the environment
    second = _step(db_url, demo_site_servers, "-s", f"FORUMWATCH_CONFIG={config}")
    subset_source = SITES[0]
    subset = _step(db_url, demo_site_servers, "-a", f"sources={subset_source}", config=config)
    yield Crawls(demo_sites, first, second, subset, subset_source)
    reset_engines()


def test_scrapy_list_names_the_spider() -> None:
    result = scrapy("list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["forumwatch"]


def test_scrapy_check_passes() -> None:
    result = scrapy("check")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr


def test_scrapy_crawl_stores_the_expected_articles(crawls: Crawls) -> None:
    for site in SITES:
        stored = {url for source, url in crawls.first.articles if source == site}
        assert stored == expected_urls(site, crawls.base[site]), site


def test_scrapy_crawl_records_a_finished_run_per_source(crawls: Crawls) -> None:
    runs = crawls.first.runs
    assert sorted(run.source_id for run in runs) == sorted(SITES)
    assert all(run.finished_at is not None and run.status != "running" for run in runs)
    assert sum(run.new_articles for run in runs) == len(crawls.first.articles)
    run_of = {run.source_id: run.id for run in runs}
    assert {url: run_of[source] for source, url in crawls.first.articles} == (
        crawls.first.article_runs
    )


def test_a_second_scrapy_crawl_stores_nothing_and_reads_no_article(crawls: Crawls) -> None:
    assert crawls.second.articles == crawls.first.articles
    new_runs = crawls.second.runs[len(crawls.first.runs) :]
    assert sorted(run.source_id for run in new_runs) == sorted(SITES)
    assert [run.new_articles for run in new_runs] == [0] * len(SITES)
    for site in SITES:
        requested = Counter(hit.target for hit in crawls.second.hits[site])
        # robots.txt is kept from the first crawl (24 h, RFC 9309 2.4)
        assert requested == Counter(site_expectations(site)["start_paths"])


def test_the_sources_argument_crawls_only_those(crawls: Crawls) -> None:
    new_runs = crawls.subset.runs[len(crawls.second.runs) :]
    assert [run.source_id for run in new_runs] == [crawls.subset_source]
    assert [site for site, hits in crawls.subset.hits.items() if hits] == [crawls.subset_source]
