"""Health judged when a crawl closes (``RunRecorder.spider_closed``): after the runs are closed,
for the crawl's sources, with the health counters written even at 0; a judgement that fails
(here: the source_health table is gone) is logged and never breaks the closing. SQLite and
PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.db import session_scope
from storage.models import CrawlRun, SourceHealth
from tests.test_crawl_run_recorder import Crawl, crawl  # noqa: F401  (the fixture)


def test_closing_a_crawl_judges_its_sources(crawl: Crawl, engine: Engine) -> None:  # noqa: F811
    crawl.recorder.spider_opened(crawl.spider)
    crawl.tally.count("a", "list_pages", 1)
    crawl.tally.count("a", "blocked", 2)
    crawl.tally.count("b", "list_pages", 1)
    crawl.tally.count("b", "list_links", 4)
    crawl.tally.error(
        "a",
        "http://a.example/list/",
        "AntiBotChallenge: anti-bot challenge: rivers (HTTP 412, $_ts)",
    )
    crawl.recorder.spider_closed(crawl.spider, "finished")
    with session_scope(engine) as session:
        runs = {run.source_id: run for run in session.exec(select(CrawlRun)).all()}
        health = {row.source_id: row for row in session.exec(select(SourceHealth)).all()}
    assert runs["b"].counts == {"blocked": 0, "list_links": 4, "list_pages": 1, "weak_bodies": 0}
    # a's list page loaded: a challenge on another page is no 'blocked' state
    assert {sid: row.state for sid, row in health.items()} == {"a": "ok", "b": "ok"}
    assert health["a"].last_success_at is not None


def test_a_failing_judgement_never_breaks_the_closing(
    crawl: Crawl,  # noqa: F811
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    crawl.recorder.spider_opened(crawl.spider)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE source_health"))
    with caplog.at_level(logging.ERROR):
        crawl.recorder.spider_closed(crawl.spider, "finished")
    with session_scope(engine) as session:
        assert {run.status for run in session.exec(select(CrawlRun)).all()} == {"ok"}
    assert "source health not judged" in caplog.text
