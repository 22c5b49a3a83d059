"""Many consecutive crawls of an unchanged site: nothing refetched, nothing stored twice, memory
and database size flat.

Each crawl is its own process (the Twisted reactor cannot be restarted, scrapy#2941; the service,
``scheduler.py``, starts one ``forumwatch crawl`` child per run and keeps no crawl state itself),
so what could grow from one crawl to the next is what the database accumulates: the test checks
that each crawl's peak memory stays flat and that only the ``crawl_runs`` table grows.
Ten crawls rather than fifty: each costs ~1.7 s on an idle 2-core machine (~4 s when loaded),
almost all of it Python importing Scrapy and trafilatura, and what is checked here would grow
with every crawl if it grew at all.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from tests.faults.hostile import HostileSite, source, write_config
from tests.faults.newsroom import (
    article_path,
    crawl_measured,
    news_routes,
    query,
    runs,
    stored_urls,
)

CRAWLS = 10
ARTICLES = range(1, 4)


def table_counts(db_url: str) -> dict[str, int]:
    tables = query(db_url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name: query(db_url, f'SELECT count(*) FROM "{name}"')[0][0] for (name,) in tables}


def logical_size(db_url: str) -> int:
    """Bytes in use by the database (WAL content included, free pages excluded)."""
    [(pages,)] = query(db_url, "PRAGMA page_count")
    [(free,)] = query(db_url, "PRAGMA freelist_count")
    [(page_size,)] = query(db_url, "PRAGMA page_size")
    return int((pages - free) * page_size)


def test_consecutive_crawls_keep_memory_and_database_flat(tmp_path: Path) -> None:
    """Scenario: an unchanged three-article site crawled 10 times in a row (extraction in the
    crawl process, FORUMWATCH_EXTRACT_WORKERS 0).
    Pass: every crawl exits 0 with no traceback; each article is fetched once (by the first
    crawl) and stored once; there are 10 'ok' crawl_runs rows, the later ones with nothing new;
    after the first crawl no table but crawl_runs gains a row and the database grows by under
    2 KB a crawl; the later crawls' peak RSS stays within 25 MB of each other, the last three
    no higher than the first three (+10 MB)."""
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    rss: list[float] = []
    with HostileSite(news_routes(ARTICLES)) as site:
        config = write_config(
            tmp_path,
            [source("s", site.url("/news/"))],
            settings={"FORUMWATCH_EXTRACT_WORKERS": 0},
        )
        for crawl in range(CRAWLS):
            result = crawl_measured(config, timeout=120)
            assert result.returncode == 0, (crawl, result.stdout + result.stderr)
            result.assert_clean()
            rss.append(result.max_rss_mb)
            if crawl == 0:
                after_first = table_counts(db_url), logical_size(db_url)
        paths = site.paths()
        base = site.base_url

    assert paths.count("/news/") == CRAWLS
    for n in ARTICLES:
        assert paths.count(article_path(n)) == 1
    assert stored_urls(db_url) == {base + article_path(n): 1 for n in ARTICLES}
    rows = runs(db_url, "s")
    assert [row["status"] for row in rows] == ["ok"] * CRAWLS
    assert [row["new_articles"] for row in rows] == [3] + [0] * (CRAWLS - 1)
    assert {row["known_articles"] for row in rows[1:]} == {3}

    counts, size = after_first
    final = table_counts(db_url)
    assert final == {**counts, "crawl_runs": counts["crawl_runs"] + CRAWLS - 1}
    assert logical_size(db_url) - size < 2048 * (CRAWLS - 1)

    later = rss[1:]
    assert max(later) - min(later) < 25, rss
    assert statistics.mean(later[-3:]) <= statistics.mean(later[:3]) + 10, rss
