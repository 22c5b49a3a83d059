"""Crashes that must lose nothing and leave nothing behind (issue 7, items 1 and 8).

Real CLI crawls of generated sites on loopback (``HostileSite`` + ``PagedColumn``), on SQLite and
PostgreSQL where the database matters:

* A backfill killed half-way resumes: the next crawl walks the list pages past the ones it has
  seen, until one crawl has walked the column to its end.
* A failed article on a deep list page is retried once due, though routine crawls stop at page 1.
* A crawl process killed alone takes its extraction workers and the resource tracker with it.
* A killed crawl's run is marked 'interrupted' as soon as any crawl starts on the same host.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from crawler.config import SourceConfig
from crawler.crawl.processes import ProcessStamp, start_stamp, this_process
from crawler.crawl.store import CrawlStore
from storage import queries
from storage.db import make_engine, session_scope, upgrade_schema
from storage.models import Article, CrawledUrl, CrawlRun, SourceRecord, SourceWalk
from tests.faults.hostile import HostileSite, crawl, source, write_config
from tests.faults.paged import PagedColumn
from tests.fixtures_sites import start_cli

# One request per 30 ms on the loopback slot and small store batches: a 300-article backfill
# takes ~10 s, long enough to be killed half-way.
KILLABLE = {
    "DOWNLOAD_DELAY": 0.03,
    "RANDOMIZE_DOWNLOAD_DELAY": False,
    "FORUMWATCH_STORE_BATCH": 10,
    "FORUMWATCH_EXTRACT_WORKERS": 2,
}


# -- helpers ---------------------------------------------------------------------------------


def stored_urls(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return list(session.exec(select(Article.url)).all())


def wait_for(condition: object, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``condition()`` every 50 ms for up to 60 s while the crawl runs."""
    deadline = time.monotonic() + 60
    while not condition():  # type: ignore[operator]
        if process.poll() is not None:
            pytest.fail(f"the crawl ended before {what}:\n" + log.read_text(errors="replace"))
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the crawl's whole session (it and its workers) and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def new_paths(site: HostileSite, since: int) -> list[str]:
    return site.paths()[since:]


# -- item 1: a killed backfill resumes -------------------------------------------------------


def test_killed_backfill_resumes_where_a_routine_crawl_would_stop(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """300 articles, 30 per list page chained by 下一页. The first crawl is SIGKILLed (with its
    process group) once ~150 articles are stored. Pass: the next crawl reads list pages past page
    1 although page 1 has nothing unseen, stores every other article, and fetches none stored
    before; all 300 are stored exactly once; a third crawl, the walk now complete, reads page 1
    only and fetches no article."""
    column = PagedColumn(300, 30)
    with HostileSite(column.routes()) as site:
        config = write_config(
            tmp_path,
            [source("backfill", site.url(column.start_path))],
            db_url=db_url,
            settings=KILLABLE,
        )
        log = tmp_path / "killed.log"
        process = start_cli(config, "crawl", log=log)
        try:
            wait_for(lambda: len(stored_urls(engine)) >= 150, "150 articles stored", process, log)
        finally:
            kill_group(process)
        before = set(stored_urls(engine))
        assert 150 <= len(before) < 300, "killed too late to leave work undone"
        with session_scope(engine) as session:
            assert session.exec(select(SourceWalk)).all() == [], "a killed walk counted as done"

        mark = len(site.paths())
        rerun = crawl(config, timeout=90)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        refetched = [p for p in new_paths(site, mark) if site.url(p) in before]
        assert refetched == [], "articles stored before the kill were fetched again"
        assert column.list_path(column.pages) in new_paths(site, mark), "the walk did not resume"

        stored = stored_urls(engine)
        assert sorted(stored) == sorted(site.url(p) for p in column.article_paths())
        with session_scope(engine) as session:
            walks = session.exec(select(SourceWalk)).all()
        assert [(w.ended_by, w.pages) for w in walks] == [("end", column.pages)]

        mark = len(site.paths())
        routine = crawl(config, timeout=90)
        assert routine.returncode == 0, routine.stdout + routine.stderr
        # robots.txt comes from the cache (fetched by the first crawl, kept 24 h)
        assert new_paths(site, mark) == [column.start_path]
        assert len(stored_urls(engine)) == 300


def test_failed_article_on_a_deep_page_is_retried_once_due(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """60 articles, 10 per list page; the article on page 6 answers 500 during the first crawl
    (which walks the column to its end) and 200 afterwards; failed URLs are due again after 1 s.
    Pass: the second crawl reads list page 1 only (nothing unseen there, walk complete) and still
    requests and stores the failed article, from the database's list of due retries, under the
    URL it was linked as."""
    column = PagedColumn(60, 10)
    deep = column.article_path(55)
    assert column.page_of(55) == 6
    column.failing[deep] = 500
    with HostileSite(column.routes()) as site:
        config = write_config(
            tmp_path,
            [source("deep", site.url(column.start_path))],
            db_url=db_url,
            settings={"FORUMWATCH_URL_RETRY_BASE": 1, "FORUMWATCH_EXTRACT_WORKERS": 1},
        )
        first = crawl(config, timeout=90)
        assert first.returncode == 0, first.stdout + first.stderr
        assert site.url(deep) not in stored_urls(engine)
        assert len(stored_urls(engine)) == 59
        with session_scope(engine) as session:
            failed = session.exec(select(CrawledUrl).where(CrawledUrl.state == "error")).all()
        assert [(row.url, row.http_status) for row in failed] == [(site.url(deep), 500)]
        assert failed[0].retry_after is not None

        del column.failing[deep]
        time.sleep(max(0.0, (failed[0].retry_after - datetime.now(UTC)).total_seconds()) + 0.2)
        mark = len(site.paths())
        second = crawl(config, timeout=90)
        assert second.returncode == 0, second.stdout + second.stderr
        requested = new_paths(site, mark)
        assert [p for p in requested if p.startswith("/news/index")] == [column.start_path]
        assert requested.count(deep) == 1
        assert site.url(deep) in stored_urls(engine)
        assert len(stored_urls(engine)) == 60


# -- item 8: killed crawls leave neither processes nor 'running' runs ------------------------


def descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every live descendant of ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat[stat.rfind(")") + 2 :].split()[1])
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                with suppress(OSError):
                    cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
                    found[child] = cmdline.replace(b"\0", b" ").decode(errors="replace")
                    frontier.append(child)
    return found


def alive(pids: Iterable[tuple[int, str | None]]) -> list[int]:
    """The pids still running as the same process (zombies and reused pids do not count)."""
    live = []
    for pid, stamp in pids:
        with suppress(OSError):
            stat = (Path("/proc") / str(pid) / "stat").read_text()
            if stat[stat.rfind(")") + 2] not in "ZX" and start_stamp(pid) == stamp:
                live.append(pid)
    return live


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_and_resource_tracker_die_with_a_killed_crawl(tmp_path: Path) -> None:
    """A crawl with two extraction workers is SIGKILLed alone (not its process group) while it
    stores articles. Pass: within 5 s every process it had started (the workers and the
    multiprocessing resource tracker, listed from /proc before the kill) is gone."""
    column = PagedColumn(300, 30)
    with HostileSite(column.routes()) as site:
        db = f"sqlite:///{tmp_path / 'fw.db'}"
        config = write_config(
            tmp_path, [source("orphans", site.url(column.start_path))], db_url=db, settings=KILLABLE
        )
        log = tmp_path / "crawl.log"
        engine = make_engine(db)
        upgrade_schema(engine)
        process = start_cli(config, "crawl", log=log)
        try:
            wait_for(lambda: len(stored_urls(engine)) >= 20, "20 articles stored", process, log)
            children = descendants(process.pid)
            workers = [pid for pid, cmd in children.items() if "spawn_main" in cmd]
            trackers = [pid for pid, cmd in children.items() if "resource_tracker" in cmd]
            assert workers and trackers, children
            stamps = [(pid, start_stamp(pid)) for pid in children]

            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            killed_at = time.monotonic()
            while alive(stamps) and time.monotonic() - killed_at < 10:
                time.sleep(0.1)
            left = {pid: children[pid] for pid in alive(stamps)}
            assert left == {}, f"still running after {time.monotonic() - killed_at:.1f} s"
            assert time.monotonic() - killed_at < 5
        finally:
            kill_group(process)
            engine.dispose()


WATCHED_CHILD = """
import subprocess, sys
grandchild = subprocess.Popen([sys.executable, "-c", sys.argv[1]])
print(grandchild.pid, flush=True)
grandchild.wait()
"""
WATCHING_GRANDCHILD = """
import os, time
from crawler.crawl.processes import die_with_parent
die_with_parent(os.getppid(), use_prctl=False, interval=0.2)
time.sleep(60)
"""


def test_parent_watch_ends_a_worker_without_the_kernel_signal(tmp_path: Path) -> None:
    """The portable fallback alone (no prctl): a process watching its parent is left running
    when the parent is SIGKILLed. Pass: it exits within 2 s."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", WATCHED_CHILD, WATCHING_GRANDCHILD],
        stdout=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        grandchild = int(child.stdout.readline())
        stamp = start_stamp(grandchild)
        time.sleep(1.0)  # the grandchild has imported crawler.crawl.processes and armed its watch
        assert alive([(grandchild, stamp)]) == [grandchild]
        child.kill()
        child.wait(timeout=10)
        deadline = time.monotonic() + 2
        while alive([(grandchild, stamp)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive([(grandchild, stamp)]) == []
    finally:
        with suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()


def test_killed_run_is_interrupted_when_any_crawl_starts(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """A crawl of source 'slow' is SIGKILLed while running; then a crawl of another source,
    'other', runs. Pass: the killed run records the killed process's pid and this host, stays
    'running' until the next start, and is 'interrupted' with a finish time no later than the
    start of the other source's run (marked at start, not 12 hours later)."""
    slow = PagedColumn(300, 30)
    other = PagedColumn(3, 10)
    with HostileSite(slow.routes()) as slow_site, HostileSite(other.routes()) as other_site:
        config = write_config(
            tmp_path,
            [
                source("slow", slow_site.url(slow.start_path)),
                source("other", other_site.url(other.start_path)),
            ],
            db_url=db_url,
            settings={**KILLABLE, "FORUMWATCH_EXTRACT_WORKERS": 1},
        )

        def slow_run() -> CrawlRun | None:
            with session_scope(engine) as session:
                runs = session.exec(select(CrawlRun).where(CrawlRun.source_id == "slow")).all()
            return runs[0] if runs else None

        log = tmp_path / "killed.log"
        process = start_cli(config, "crawl", "slow", log=log)
        try:
            wait_for(lambda: slow_run() is not None, "the run row", process, log)
        finally:
            kill_group(process)
        killed = slow_run()
        assert killed is not None
        assert (killed.status, killed.pid, killed.host) == (
            "running",
            process.pid,
            socket.gethostname(),
        )

        result = crawl(config, "other", timeout=90)
        assert result.returncode == 0, result.stdout + result.stderr
        with session_scope(engine) as session:
            runs = {run.source_id: run for run in session.exec(select(CrawlRun)).all()}
        assert runs["slow"].status == "interrupted"
        assert runs["other"].status == "ok"
        finished = runs["slow"].finished_at
        assert finished is not None and finished <= runs["other"].started_at


def test_start_interrupts_only_runs_whose_process_is_gone(engine: Engine) -> None:
    """Runs left 'running', as a starting crawl finds them. Pass: on this host, one whose pid is
    gone and one whose pid now belongs to another process are marked 'interrupted', and a live
    process's run stays 'running' however old; runs of other hosts (or naming no process) keep
    the FORUMWATCH_STALE_RUN_HOURS rule; the new runs record this process."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    me = this_process()
    hours_ago = datetime.now(UTC) - timedelta(hours=13)
    cases: dict[str, tuple[ProcessStamp | None, datetime | None]] = {
        "gone": (ProcessStamp(me.host, gone.pid, "x:1"), None),
        "reused": (ProcessStamp(me.host, me.pid, "another-boot:1"), None),
        "live": (me, hours_ago),
        "elsewhere-old": (ProcessStamp("another-host", gone.pid, "x:1"), hours_ago),
        "elsewhere-new": (ProcessStamp("another-host", gone.pid, "x:1"), None),
        "legacy": (None, hours_ago),
    }
    ids: dict[str, int] = {}
    with session_scope(engine, write=True) as session:
        queries.sync_sources(
            session=session,
            sources=[SourceRecord(id=n, name=n, start_urls=("http://example.cn/",)) for n in cases],
        )
        for name, (stamp, started) in cases.items():
            ids[name] = queries.start_run(
                session=session,
                source_id=name,
                host=stamp.host if stamp else None,
                pid=stamp.pid if stamp else None,
                process_start=stamp.start if stamp else None,
            )
            if started is not None:
                session.get_one(CrawlRun, ids[name]).started_at = started
    new = CrawlStore(engine).start_runs(list(cases), stale_after=timedelta(hours=12), process=me)
    with session_scope(engine) as session:
        runs = {run.id: run for run in session.exec(select(CrawlRun)).all()}
    assert {name: runs[i].status for name, i in ids.items()} == {
        "gone": "interrupted",
        "reused": "interrupted",
        "live": "running",
        "elsewhere-old": "interrupted",
        "elsewhere-new": "running",
        "legacy": "interrupted",
    }
    assert {(runs[i].pid, runs[i].host, runs[i].process_start) for i in new.values()} == {
        (me.pid, me.host, me.start)
    }


def test_a_walk_counts_until_the_page_limit_rises_or_the_start_url_goes(engine: Engine) -> None:
    """Walks recorded for two start URLs of a source, one stopped by max_list_pages (20), one
    at its last page. Pass: both count as walked while the config is unchanged; raising the
    limit to 50 makes the one stopped by the limit walk again; a start URL dropped from the
    config is forgotten, so adding it back walks it again."""
    store = CrawlStore(engine)
    first, second = "http://example.cn/news/", "http://example.cn/notices/"

    def config(urls: list[str], max_list_pages: int = 20) -> SourceConfig:
        return SourceConfig(id="gov", name="gov", start_urls=urls, max_list_pages=max_list_pages)

    store.sync_sources([config([first, second])])
    store.record_walks(
        [
            SourceWalk(
                source_id="gov",
                start_url=url,
                completed_at=datetime.now(UTC),
                ended_by=ended_by,
                pages=pages,
                max_list_pages=20,
            )
            for url, ended_by, pages in ((first, "limit", 20), (second, "end", 3))
        ]
    )
    assert store.walked_chains([config([first, second])]) == {("gov", first), ("gov", second)}
    assert store.walked_chains([config([first, second], 50)]) == {("gov", second)}
    assert store.walked_chains([config([first])]) == {("gov", first)}
    assert store.walked_chains([config([first, second])]) == {("gov", first)}
