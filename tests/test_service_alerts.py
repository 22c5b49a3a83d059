"""Alerts through ``forumwatch serve``: real service processes, a local site, a local webhook
receiver.

After a baseline crawl, a new article is published. A service started with ``--no-alerts``
stores it and is killed with SIGKILL before anything is delivered; the next service (once the
dead one's lease has expired) delivers it exactly once, within seconds of its storage, and
nothing more on later polls.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import OperationalError

from tests.alert_receivers import HttpReceiver
from tests.faults.hostile import HostileSite, Reply, crawl, source, write_config
from tests.faults.newsroom import (
    ROBOTS_OPEN,
    article_page,
    article_path,
    article_title,
    list_page,
    page,
    query,
    stored_urls,
)
from tests.fixtures_sites import start_cli

WAIT = 60.0
LEASE = ("--lease-ttl", "3", "--lease-renew", "1")


def fresh_page(n: int) -> str:
    today = datetime.now(UTC).date().isoformat()
    return article_page(n).replace(f"2024-11-{1 + n % 28:02d}", today)


def baselines(db: str) -> int:
    """How many sources have had their baseline crawl (0 before the schema exists)."""
    try:
        [(count,)] = query(db, "SELECT count(*) FROM source_health WHERE baseline_at IS NOT NULL")
    except OperationalError:
        return 0
    return int(count)


def column(site: HostileSite) -> Callable[[int], None]:
    """A column ``/a/`` on ``site`` (robots.txt open); returns ``publish(n)``, which adds
    article ``n``, published today, at the top of the column."""
    site.routes["/robots.txt"] = lambda _r: Reply(
        body=ROBOTS_OPEN.encode(), content_type="text/plain"
    )
    listed: list[tuple[str, str]] = []

    def publish(n: int) -> None:
        site.routes[article_path(n, "/a")] = page(fresh_page(n))
        listed.insert(0, (article_path(n, "/a"), article_title(n)))
        site.routes["/a/"] = page(list_page(listed))

    return publish


def polled_config(tmp_path: Path, site: HostileSite, http: HttpReceiver) -> Path:
    """Source ``a`` polled every 2 s by a service ticking every second, one rule alerting
    every relevant article to ``http``."""
    return write_config(
        tmp_path,
        [source("a", site.url("/a/"), schedule="2s")],
        db_url=f"sqlite:///{tmp_path / 'fw.db'}",
        settings={"FORUMWATCH_STORE_INTERVAL": 0.2},
        service={"tick": "1s", "jitter": "1s"},
        alerts=[{"name": "论坛", "notify": [http.url(path="/hook")], "match": {}}],
    )


def kill(process: object) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # type: ignore[attr-defined]
    process.wait(timeout=30)  # type: ignore[attr-defined]


def test_an_alert_stored_by_a_killed_service_is_delivered_once_by_the_next(
    tmp_path: Path,
) -> None:
    with HostileSite() as site, HttpReceiver() as http:
        publish = column(site)
        publish(1)
        db = f"sqlite:///{tmp_path / 'fw.db'}"
        config = polled_config(tmp_path, site, http)
        baseline = crawl(config)
        assert baseline.returncode == 0, baseline.stdout + baseline.stderr
        assert query(db, "SELECT count(*) FROM alerts") == [(0,)]

        publish(10)
        wanted = site.url(article_path(10, "/a"))
        first = start_cli(config, "serve", "--no-alerts", *LEASE, log=tmp_path / "first.log")
        try:
            deadline = time.monotonic() + WAIT
            while wanted not in stored_urls(db):
                assert first.poll() is None, (tmp_path / "first.log").read_text()
                assert time.monotonic() < deadline, "the article was not stored in time"
                time.sleep(0.1)
            # stored; its alert waits in the outbox
            deadline = time.monotonic() + 10
            while query(db, "SELECT count(*) FROM alerts") != [(1,)]:
                assert time.monotonic() < deadline, "no alert row"
                time.sleep(0.1)
        finally:
            kill(first)
        assert http.received == []
        assert query(db, "SELECT state FROM alert_deliveries") == [("pending",)]
        time.sleep(3.5)  # the killed service's lease (3 s unrenewed) expires

        second = start_cli(config, "serve", *LEASE, log=tmp_path / "second.log")
        try:
            [hook] = http.wait_for(1, timeout=WAIT)
            assert article_title(10) in hook.json()["title"]
            # later polls of the same source deliver nothing more
            time.sleep(4)
            assert len(http.received) == 1
            assert query(db, "SELECT state, attempts FROM alert_deliveries") == [("sent", 1)]
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(timeout=WAIT)
            finally:
                kill(second)
        assert second.returncode == 0, (tmp_path / "second.log").read_text()


def test_serve_delivers_an_alert_within_seconds_of_its_article_being_stored(
    tmp_path: Path,
) -> None:
    with HostileSite() as site, HttpReceiver() as http:
        publish = column(site)
        publish(1)
        db = f"sqlite:///{tmp_path / 'fw.db'}"
        config = polled_config(tmp_path, site, http)
        log = tmp_path / "serve.log"
        service = start_cli(config, "serve", *LEASE, log=log)
        try:
            deadline = time.monotonic() + WAIT
            while baselines(db) != 1:
                assert service.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "no baseline crawl"
                time.sleep(0.1)
            assert http.received == []  # the baseline alerts nothing
            publish(10)
            [hook] = http.wait_for(1, timeout=WAIT)
            delivered = datetime.now(UTC)
            [(stored,)] = query(db, "SELECT created_at FROM alerts")
            stored_at = datetime.fromisoformat(str(stored))
            if stored_at.tzinfo is None:
                stored_at = stored_at.replace(tzinfo=UTC)
            assert (delivered - stored_at).total_seconds() < 5, (stored_at, delivered)
            assert article_title(10) in hook.json()["title"]
        finally:
            service.send_signal(signal.SIGTERM)
            try:
                service.wait(timeout=WAIT)
            finally:
                kill(service)
