"""Crawls that go wrong, end to end through the real CLI against the fixture sites on loopback.

* A crawl SIGKILLed once some articles are stored, then run again: every article is stored exactly
  once, nothing stored before the kill is fetched again, and the attachments are all there.
* robots.txt holds even for links discovery keeps: with an ``article_links`` override that matches
  the robots-disallowed ``/private/`` pages of the mayors site, they are still never requested.

The per-path faults of the sites (404, 410, 500, redirect loops, oversized pages) are checked on
the shared crawl of ``test_crawl_end_to_end.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage import queries
from storage.db import session_scope
from storage.models import Article, Attachment
from tests.fixtures_sites import (
    FAST_RETRIES,
    demo_config,
    expected_urls,
    parse_crawl_summary,
    run_cli,
    site_expectations,
    site_names,
    snapshot_hits,
    start_cli,
    update_scrapy_settings,
)
from tests.sites.server import SiteServer

# Slow enough (one request per 0.3 s on the shared 127.0.0.1 download slot) that the crawl is
# still fetching articles when the test has seen the first ones stored.
SLOW = {"DOWNLOAD_DELAY": 0.3, "RANDOMIZE_DOWNLOAD_DELAY": False}
KILL_AFTER = 3  # articles stored
ALL = "10000"


def article_urls(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = session.exec(select(Article.url, Article.id)).all()
    return {url: article_id for url, article_id in rows if article_id is not None}


def stored_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return queries.count_articles(session=session)


def kill_when_stored(process: subprocess.Popen[bytes], engine: Engine, log: Path) -> None:
    """SIGKILL the crawl once ``KILL_AFTER`` articles are in the database, then its workers."""
    deadline = time.monotonic() + 120
    try:
        while stored_count(engine) < KILL_AFTER:
            if process.poll() is not None:
                pytest.fail(
                    f"the crawl ended (exit {process.returncode}) before it was killed:\n"
                    + log.read_text(errors="replace")
                )
            if time.monotonic() > deadline:
                pytest.fail("no articles stored after 120 s")
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        with suppress(ProcessLookupError):  # the crawl's own session: its extraction workers
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_killed_crawl_run_again_stores_every_article_exactly_once(
    db_url: str,
    engine: Engine,
    demo_sites: dict[str, str],
    demo_site_servers: dict[str, SiteServer],
    tmp_path: Path,
) -> None:
    config = update_scrapy_settings(
        demo_config(tmp_path, demo_sites, db_url), **SLOW, **FAST_RETRIES
    )
    expected = {url for name in site_names() for url in expected_urls(name, demo_sites[name])}

    kill_when_stored(
        start_cli(config, "crawl", log=tmp_path / "killed.log"), engine, tmp_path / "killed.log"
    )
    before = article_urls(engine)
    assert KILL_AFTER <= len(before) < len(expected), "killed too late to leave work undone"
    assert set(before) <= expected

    update_scrapy_settings(config, DOWNLOAD_DELAY=0)
    for server in demo_site_servers.values():
        server.clear_hits()
    rerun = run_cli(config, "crawl")
    hits = snapshot_hits(demo_site_servers)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    listed = [
        json.loads(line)
        for line in run_cli(config, "articles", "--json", "--limit", ALL).stdout.splitlines()
    ]
    for key in ("url", "canonical_url"):
        assert [u for u, n in Counter(row[key] for row in listed).items() if n > 1] == []
    assert {row["url"] for row in listed} == expected
    assert stored_count(engine) == len(expected)

    after = article_urls(engine)
    assert {url: after[url] for url in before} == before, "articles stored before the kill changed"
    summary = parse_crawl_summary(rerun.stdout)
    assert summary["all"]["new"] == str(len(expected) - len(before))
    refetched = [
        demo_sites[name] + hit.target
        for name, site_hits in hits.items()
        for hit in site_hits
        if demo_sites[name] + hit.target in before
    ]
    assert refetched == [], "articles stored before the kill were fetched again"

    with session_scope(engine) as session:
        attachments = session.exec(select(Attachment)).all()
    recorded: dict[str, Any] = {a.url: a for a in attachments}
    assert len(recorded) == len(attachments)
    for name in site_names():
        base = demo_sites[name]
        assert {url for url in recorded if url.startswith(base + "/")} == expected_urls(
            name, base, "attachments"
        )
        for entry in site_expectations(name)["articles"]:
            for path in entry.get("attachments", []):
                assert recorded[base + path].article_id == after[base + entry["path"]], path


def test_robots_disallowed_links_are_not_fetched_even_when_matched(
    demo_sites: dict[str, str], demo_site_servers: dict[str, SiteServer], tmp_path: Path
) -> None:
    database = tmp_path / "robots.db"
    config = demo_config(tmp_path, demo_sites, f"sqlite:///{database}", names=["mayors"])
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    # The list page links /private/notice-99.html among the articles; robots.txt disallows it.
    data["sources"][0]["article_links"] = r"re:/(?:show-\d+|private/notice-\d+)\.html$"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    update_scrapy_settings(config, **FAST_RETRIES)
    server = demo_site_servers["mayors"]
    server.clear_hits()
    log = tmp_path / "crawl.log"
    result = run_cli(config, "crawl", "--log-level", "DEBUG", "--log-file", str(log))
    assert result.returncode == 0, result.stdout + result.stderr

    assert [h.target for h in server.hits("/private/")] == []
    blocked = [
        line
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if "Forbidden by robots.txt" in line
    ]
    assert any("/private/notice-99.html" in line for line in blocked), "the link was not tried"
    summary = parse_crawl_summary(result.stdout)["mayors"]
    assert summary["new"] == str(len(site_expectations("mayors")["articles"]))
    assert summary["failed"] == "1"  # the 410 page; a robots.txt refusal is no failure
