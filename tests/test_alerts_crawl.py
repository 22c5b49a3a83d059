"""Alerts end to end through ``forumwatch crawl`` (real crawls of a local site, real deliveries to
a local HTTP receiver and SMTP server), in as few crawls as the story needs:

1. the first crawl of two sources is their baseline: everything stored, nothing alerted;
2. a new article, and its repost on the other site in the same crawl: one alert per rule, one
   message per channel, sent when the crawl finishes; the digest rule's waits for its hour;
3. a crawl SIGKILLed after storing a new article (and a later repost of the alerted story),
   before it could dispatch: the next ``forumwatch alerts dispatch`` delivers it once, the
   repost nothing, and a second dispatch nothing again; ``forumwatch alerts --json`` shows it.
"""

from __future__ import annotations

import json
import os
import signal
import time
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.alert_receivers import HttpReceiver, SmtpReceiver, text_of
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
from tests.fixtures_sites import run_cli, start_cli

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def fresh_page(n: int) -> str:
    """Article ``n`` published today (the fixture's pages are dated November 2024)."""
    return article_page(n).replace(f"2024-11-{1 + n % 28:02d}", TODAY)


class Sites:
    """Two sources on one local server: columns ``/a/`` and ``/b/``; ``b`` may repost ``a``'s
    articles under its own paths (``article_path(n, '/b')`` carries article ``n``)."""

    def __init__(self, site: HostileSite) -> None:
        self.site = site
        self.columns: dict[str, list[tuple[str, str]]] = {"/a": [], "/b": []}
        site.routes["/robots.txt"] = lambda _r: Reply(
            body=ROBOTS_OPEN.encode(), content_type="text/plain"
        )

    def publish(self, prefix: str, n: int, *, path: str | None = None) -> None:
        path = path or article_path(n, prefix)
        self.site.routes[path] = page(fresh_page(n))
        self.columns[prefix].insert(0, (path, article_title(n)))
        self.site.routes[f"{prefix}/"] = page(list_page(self.columns[prefix]))


def test_baseline_then_one_alert_reposts_none_and_a_killed_crawl_delivers_once(
    tmp_path: Path,
) -> None:
    with HostileSite() as site, HttpReceiver() as http, SmtpReceiver() as smtp:
        sites = Sites(site)
        for n in (1, 2):
            sites.publish("/a", n)
        sites.publish("/b", 3)
        db = f"sqlite:///{tmp_path / 'fw.db'}"
        config = write_config(
            tmp_path,
            [source("a", site.url("/a/")), source("b", site.url("/b/"))],
            db_url=db,
            settings={"FORUMWATCH_STORE_INTERVAL": 0.2},
            alerts=[
                {
                    "name": "论坛",
                    "notify": [http.url(path="/hook"), smtp.url()],
                    "match": {"keywords": ["城市發展論壇"]},
                },
                {"name": "每日", "notify": [http.url(path="/digest")], "mode": "digest"},
            ],
        )

        # 1. baseline
        first = crawl(config)
        assert first.returncode == 0, first.stdout + first.stderr
        assert len(stored_urls(db)) == 3
        assert query(db, "SELECT count(*) FROM alerts") == [(0,)]
        baselines = query(db, "SELECT source_id FROM source_health WHERE baseline_at IS NOT NULL")
        assert sorted(baselines) == [("a",), ("b",)]

        # 2. a new article and its repost, in one crawl
        sites.publish("/a", 10)
        sites.publish("/b", 10)
        second = crawl(config)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "alerts: 2 message(s) sent" in second.stdout
        [hook] = http.wait_for(1)
        [mail] = smtp.wait_for(1)
        assert article_title(10) in hook.json()["title"]
        assert "命中关键词：城市發展論壇" in hook.json()["message"]
        assert article_title(10) in str(mail["Subject"]) and TODAY in text_of(mail)
        rules = query(db, "SELECT rule, dedupe_key FROM alerts ORDER BY id")
        assert [rule for rule, _ in rules] == ["论坛", "每日"]
        assert len({key for _, key in rules}) == 1  # one story

        # 3. killed after storing, before dispatching
        sites.publish("/a", 11)
        sites.publish("/b", 10, path="/b/2024/11/repost_10.html")  # a later repost
        site.routes["/b/slow.html"] = lambda _r: Reply(body=[b"<html>"] * 2, pause=60)
        sites.columns["/b"].insert(0, ("/b/slow.html", "慢页面"))
        site.routes["/b/"] = page(list_page(sites.columns["/b"]))
        log = tmp_path / "killed.log"
        process = start_cli(config, "crawl", log=log)
        wanted = {site.url(article_path(11, "/a")), site.url("/b/2024/11/repost_10.html")}
        try:
            deadline = time.monotonic() + 60
            while not wanted <= set(stored_urls(db)):
                assert process.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, "articles not stored in time"
                time.sleep(0.05)
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        assert len(http.received) == 1 and len(smtp.messages) == 1  # nothing sent yet
        pending = query(
            db,
            "SELECT d.state FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id"
            " WHERE a.rule = '论坛' ORDER BY d.id",
        )
        assert pending == [("sent",), ("sent",), ("pending",), ("pending",)]

        dispatched = run_cli(config, "alerts", "dispatch")
        assert dispatched.returncode == 0, dispatched.stdout + dispatched.stderr
        hooks = http.wait_for(2)
        mails = smtp.wait_for(2)
        assert [article_title(11) in h.json()["title"] for h in hooks] == [False, True]
        assert article_title(11) in str(mails[1]["Subject"])
        again = run_cli(config, "alerts", "dispatch")
        assert again.returncode == 0 and "alerts: nothing due" in again.stdout
        time.sleep(0.3)
        assert len(http.received) == 2 and len(smtp.messages) == 2
        assert all(h.path == "/hook" for h in http.received)  # the digest still waits

        listed = run_cli(config, "alerts", "--json")
        assert listed.returncode == 0, listed.stderr
        records = [json.loads(line) for line in listed.stdout.splitlines()]
        assert len(records) == 4  # two stories x two rules
        states = sorted(d["state"] for r in records for d in r["deliveries"])
        assert states == ["pending", "pending", "sent", "sent", "sent", "sent"]
        assert all("secret" not in d["label"] for r in records for d in r["deliveries"])
        human = run_cli(config, "alerts")
        assert human.returncode == 0 and article_title(11) in human.stdout
