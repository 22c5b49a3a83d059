"""A service's ticks on a fake clock, its crawl children real (short) processes standing in for
``forumwatch crawl``: one crawl at a time, what falls due meanwhile goes into the next one, the
time limit kills the child's whole group and closes its runs as ``timeout``, a reload."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from crawler.config import Config, parse_config
from crawler.crawl.processes import ProcessStamp, is_running, start_stamp
from crawler.service.crawls import CrawlChild
from crawler.service.loop import Service
from storage import queries
from storage.db import get_engine, reset_engines, session_scope, upgrade_schema
from storage.models import CrawlRun, SourceRecord

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HOST = "test-host"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Children:
    """Launches a real child per crawl: a Python process that sleeps (and a grandchild in its
    process group, like an extraction worker), recording a 'running' run per source for it."""

    def __init__(self, engine: Engine, seconds: float, *, worker: bool = False) -> None:
        self.engine = engine
        self.seconds = seconds
        self.worker = worker
        self.launched: list[CrawlChild] = []

    def __call__(
        self, config_path: str, source_ids: Sequence[str], *, on_exit: Callable[[], None]
    ) -> CrawlChild:
        worker = "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        code = (
            "import subprocess, sys, time;"
            + (worker if self.worker else "")
            + f"time.sleep({self.seconds})"
        )
        process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
        started = datetime.now(UTC) - timedelta(seconds=2)
        with session_scope(self.engine, write=True) as session:
            for sid in source_ids:
                queries.start_run(session=session, source_id=sid, host=HOST, pid=process.pid)
        child = CrawlChild(process, list(source_ids), started)
        child.watch(on_exit)
        self.launched.append(child)
        return child


def config(*ids: str, limit: str = "30m", schedule: str = "30m") -> Config:
    return parse_config(
        {
            "service": {"crawl_time_limit": limit, "jitter": "1s"},
            "sources": [
                {
                    "id": sid,
                    "name": sid,
                    "start_urls": [f"http://{sid}.example.cn/"],
                    "schedule": schedule,
                }
                for sid in ids
            ],
        }
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = get_engine(f"sqlite:///{tmp_path / 'fw.db'}")
    upgrade_schema(engine)
    with session_scope(engine, write=True) as session:
        queries.sync_sources(
            session=session,
            sources=[SourceRecord(id=s, name=s, start_urls=(f"http://{s}/",)) for s in "abcd"],
        )
    yield engine
    reset_engines()


def service(engine: Engine, cfg: Config, children: Children, clock: Clock) -> Service:
    stamp = ProcessStamp(HOST, 1, None)
    made = Service(
        engine=engine,
        config=cfg,
        config_path="unused.yaml",
        host=stamp,
        launch=children,
        clock=clock,
    )
    made.load()
    return made


def wait_until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time limit"
        time.sleep(0.05)


def test_one_crawl_at_a_time_and_what_falls_due_meanwhile_goes_next(engine: Engine) -> None:
    clock, children = Clock(), Children(engine, seconds=1.5)
    loop = service(engine, config("a", "b"), children, clock)
    first = loop.tick()
    assert first is not None and first.source_ids == ["a", "b"]
    # the clock runs far past their next polls while the crawl runs: no second crawl
    loop.reload(config("a", "b", "c"))
    clock.now = T0 + timedelta(hours=2)
    assert loop.tick() is None and len(children.launched) == 1
    # the child exits: its end is seen at once and ONE crawl takes a, b (once) and c
    wait_until(lambda: len(children.launched) == 2)
    assert sorted(children.launched[1].source_ids) == ["a", "b", "c"]
    assert loop.reports[0].outcome == "finished" and loop.reports[0].returncode == 0
    loop.stop(5)
    assert loop.tick() is None  # stopped: no new crawl


def test_a_crawl_past_its_time_limit_is_killed_with_its_group(engine: Engine) -> None:
    clock, children = Clock(), Children(engine, seconds=60, worker=True)
    loop = service(engine, config("a", "b", limit="1s"), children, clock)
    crawl = loop.tick()
    assert crawl is not None
    time.sleep(1.2)
    assert loop.tick() is None  # the tick that finds it over its limit kills it
    assert crawl.poll() is not None
    [report] = loop.reports
    assert report.outcome == "timeout" and report.statuses == {"timeout": 2}
    with session_scope(engine) as session:
        runs = session.exec(select(CrawlRun)).all()
    assert {(r.source_id, r.status) for r in runs} == {("a", "timeout"), ("b", "timeout")}
    # the grandchild in its process group was killed too
    grandchildren = subprocess.run(
        ["pgrep", "-g", str(crawl.pid)], capture_output=True, text=True, check=False
    )
    left = [int(pid) for pid in grandchildren.stdout.split()]
    assert not [pid for pid in left if is_running(pid, None)]  # zombies at most
    assert not is_running(crawl.pid, start_stamp(crawl.pid))
    # the sources are free again: due at their next poll
    clock.now = T0 + timedelta(minutes=31)
    assert loop.tick() is not None
    loop.stop(1)
