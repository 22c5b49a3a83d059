"""``forumwatch serve`` end to end: real service processes, real crawl children, a local site.

Few and short: one service lives through a tick, a second service, SIGHUP and SIGTERM; a crawl
over its time limit; a service killed with SIGKILL and its lease taken over.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from crawler.crawl.processes import is_running
from storage.db import get_engine, reset_engines, session_scope
from storage.lease import SERVICE_LEASE, current_lease
from storage.models import CrawlRun, ServiceLease
from tests.faults.hostile import HostileSite, Reply, Request, html, source, write_config
from tests.fixtures_sites import run_cli, start_cli

WAIT = 60.0
LIST = """<html><head><title>新闻中心</title></head><body><ul>
<li><a href="/news/1.html">关于举办2026城市发展论坛的通知</a> 2026-03-01</li>
</ul></body></html>"""
ARTICLE = """<html><head><title>关于举办2026城市发展论坛的通知</title></head><body>
<h1>关于举办2026城市发展论坛的通知</h1><p>发布时间：2026-03-01</p>
<p>{}</p></body></html>""".format(
    "城市发展论坛将于三月在本市举行，围绕城市更新、产业协同与基础设施投资展开讨论。" * 8
)


def routes() -> dict[str, Callable[[Request], Reply]]:
    return {
        "/list/*": lambda request: html(LIST),
        "/news/*": lambda request: html(ARTICLE),
    }


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with HostileSite(routes()) as running:
        yield running


def wait_for(log: Path, text: str, *, after: int = 0, timeout: float = WAIT) -> str:
    """Wait (bounded) until ``text`` appears in the log past offset ``after``; the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace")
        if text in content[after:]:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in the log within {timeout} s:\n{log.read_text()}")


def runs(db_url: str) -> list[CrawlRun]:
    with session_scope(get_engine(db_url)) as session:
        found = list(session.exec(select(CrawlRun).order_by(CrawlRun.id)).all())
    reset_engines()
    return found


def lease(db_url: str) -> ServiceLease | None:
    with session_scope(get_engine(db_url)) as session:
        found = current_lease(session=session, name=SERVICE_LEASE)
    reset_engines()
    return found


def stop(process: subprocess.Popen[bytes], signum: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(signum)
    try:
        return process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def service_config(tmp_path: Path, site: HostileSite, ids: list[str], **service: str) -> Path:
    return write_config(
        tmp_path,
        [source(sid, site.url(f"/list/{sid}/")) for sid in ids],
        service={"tick": "1s", "jitter": "1s", **service},
    )


def test_serve_batches_refuses_a_second_service_reloads_and_stops(
    tmp_path: Path, site: HostileSite
) -> None:
    config = service_config(tmp_path, site, ["alpha", "beta"])
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    log = tmp_path / "serve.log"
    service = start_cli(config, "serve", log=log)
    try:
        wait_for(log, "crawl of 2 source(s) finished")
        first = runs(db_url)
        assert sorted(r.source_id for r in first) == ["alpha", "beta"]
        assert all(r.status == "ok" for r in first), [(r.source_id, r.status) for r in first]
        # both sources in ONE crawl child, which is not the service itself
        assert len({r.pid for r in first}) == 1 and first[0].pid != service.pid
        text = log.read_text()
        assert "tick: 2 source(s) due" in text and "runs {'ok': 2}" in text

        second = run_cli(config, "serve", timeout=WAIT)
        assert second.returncode == 1
        assert f"pid {service.pid} on host" in second.stderr

        # SIGHUP with a broken config: logged, the old one kept
        broken = config.read_text()
        config.write_text(broken.replace("tick: 1s", "tick: soon"))
        offset = len(log.read_text())
        service.send_signal(signal.SIGHUP)
        wait_for(log, "keeping the previous configuration", after=offset)
        assert "service.tick" in log.read_text()[offset:]

        # SIGHUP with a source added (and one removed): the new one is crawled alone
        data = yaml.safe_load(broken)
        data["sources"] = [data["sources"][0], source("gamma", site.url("/list/gamma/"))]
        config.write_text(yaml.safe_dump(data, allow_unicode=True))
        offset = len(log.read_text())
        service.send_signal(signal.SIGHUP)
        wait_for(log, "1 added, 1 removed, 0 rescheduled", after=offset)
        wait_for(log, "crawl of 1 source(s) finished", after=offset)
        assert [r.source_id for r in runs(db_url)[2:]] == ["gamma"]
        assert lease(db_url) is not None
    finally:
        code = stop(service)
    assert code == 0, log.read_text()
    assert "SIGTERM received: stopping" in log.read_text()
    assert lease(db_url) is None  # released, not left to expire
    assert len(runs(db_url)) == 3  # alpha, beta once each (30 minutes apart), gamma once


def test_sigterm_stops_a_running_crawl_cleanly(tmp_path: Path) -> None:
    # the list page takes two seconds: SIGTERM arrives while it is in flight
    slow = {"/list/*": lambda request: Reply(body=iter([LIST.encode()]), pause=2.0)}
    with HostileSite(slow) as site:
        config = write_config(
            tmp_path,
            [source("slow", site.url("/list/slow/"))],
            service={"tick": "1s", "jitter": "1s"},
        )
        log = tmp_path / "serve.log"
        service = start_cli(config, "serve", log=log)
        try:
            wait_for(log, "starting one crawl")
            deadline = time.monotonic() + WAIT
            while "/list/slow/" not in site.paths() and time.monotonic() < deadline:
                time.sleep(0.1)
            [started] = runs(f"sqlite:///{tmp_path / 'fw.db'}")
            assert started.status == "running"
        finally:
            began = time.monotonic()
            code = stop(service)
        assert code == 0, log.read_text()
        assert time.monotonic() - began < 15
        text = log.read_text()
        assert "stopping the running crawl of 1 source(s)" in text
        assert "crawl of 1 source(s) stopped" in text and "killed" not in text
        [run] = runs(f"sqlite:///{tmp_path / 'fw.db'}")
        # Scrapy closed cleanly and recorded its run itself
        assert run.status == "interrupted" and run.finished_at is not None
        assert "recorded as interrupted" not in text
        assert not is_running(run.pid or 0, run.process_start)
        assert lease(f"sqlite:///{tmp_path / 'fw.db'}") is None


def test_a_crawl_past_its_time_limit_is_killed_and_recorded_as_timeout(tmp_path: Path) -> None:
    hanging = {"/list/*": lambda request: Reply(body=iter([b"<html>"] * 600), pause=0.5)}
    with HostileSite(hanging) as site:
        config = write_config(
            tmp_path,
            [source("hangs", site.url("/list/hangs/"))],
            settings={"DOWNLOAD_TIMEOUT": 300},
            service={"crawl_time_limit": "6s", "jitter": "1s"},
        )
        began = time.monotonic()
        result = run_cli(config, "serve", "--once", timeout=WAIT)
        took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert "ran past its time limit" in result.stderr
    assert took < 30
    [run] = runs(f"sqlite:///{tmp_path / 'fw.db'}")
    assert run.status == "timeout" and run.finished_at is not None
    assert not is_running(run.pid or 0, run.process_start)  # the whole group was killed


def test_a_killed_service_leaves_a_lease_that_expires_and_is_taken_over(tmp_path: Path) -> None:
    slow = {"/list/*": lambda request: Reply(body=iter([b"<html>"] * 100), pause=0.5)}
    with HostileSite(slow) as site:
        config = write_config(
            tmp_path,
            [source("delta", site.url("/list/delta/"))],
            settings={"DOWNLOAD_TIMEOUT": 120},
            service={"tick": "1s", "jitter": "1s"},
        )
        db_url = f"sqlite:///{tmp_path / 'fw.db'}"
        log = tmp_path / "serve.log"
        service = start_cli(config, "serve", "--lease-ttl", "8", "--lease-renew", "1", log=log)
        try:
            wait_for(log, "starting one crawl")
            deadline = time.monotonic() + WAIT
            while not runs(db_url) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stop(service, signal.SIGKILL)
        # the crawl child does not outlive its service
        [run] = runs(db_url)
        deadline = time.monotonic() + 10
        while is_running(run.pid or 0, run.process_start) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not is_running(run.pid or 0, run.process_start)
        held = lease(db_url)
        assert held is not None and held.pid == service.pid
        refused = run_cli(config, "serve", "--once", timeout=WAIT)
        assert refused.returncode == 1
        assert f"pid {service.pid} on host" in refused.stderr
        # no heartbeat any more: once the lease expires, a new service takes over
        time.sleep(max(0.0, (held.expires_at - datetime.now(UTC)).total_seconds()) + 0.5)
        taken = run_cli(config, "serve", "--once", timeout=WAIT)
    assert taken.returncode == 0, taken.stderr
    assert "nothing due" in taken.stderr  # delta's killed poll counts as its last start
    assert lease(db_url) is None
