"""The run recorder (``crawler.crawl.extensions.runs``): crawl-run rows opened with the spider and
closed with the tally, walks recorded only for a crawl that finished without item errors. Every
test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.utils.test import get_crawler
from sqlalchemy.engine import Engine
from sqlmodel import select

from crawler.config import parse_config
from crawler.crawl.configure import use_config
from crawler.crawl.extensions.runs import RunRecorder
from crawler.crawl.signals import walk_ended
from crawler.crawl.tally import CrawlTally
from spiders.sources import SourceSpider
from storage.db import session_scope
from storage.models import CrawlRun, Source, SourceWalk

SOURCES = [
    {"id": "a", "name": "A", "start_urls": ["http://a.example/list/"]},
    {"id": "b", "name": "B", "start_urls": ["http://b.example/list/"]},
]


@dataclass
class Crawl:
    spider: SourceSpider
    recorder: RunRecorder
    tally: CrawlTally

    def walk_ends(self, source_id: str = "a") -> None:
        assert self.spider.crawler is not None
        self.spider.crawler.signals.send_catch_log(
            signal=walk_ended,
            source_id=source_id,
            start_url=f"http://{source_id}.example/list/",
            ended_by="end",
            pages=2,
            max_list_pages=20,
        )


@pytest.fixture
def crawl(db_url: str, engine: Engine) -> Iterator[Crawl]:
    crawler = get_crawler(SourceSpider, {"FORUMWATCH_DATABASE_URL": db_url})
    use_config(crawler, parse_config({"database": db_url, "sources": SOURCES}))
    spider = SourceSpider.from_crawler(crawler)
    crawler.spider = spider
    recorder = RunRecorder.from_crawler(crawler)
    yield Crawl(spider, recorder, CrawlTally.of(crawler))


def runs(engine: Engine) -> dict[str, CrawlRun]:
    with session_scope(engine) as session:
        return {run.source_id: run for run in session.exec(select(CrawlRun)).all()}


def walks(engine: Engine) -> list[tuple[str, str, str, int]]:
    with session_scope(engine) as session:
        rows = session.exec(select(SourceWalk)).all()
        return [(w.source_id, w.start_url, w.ended_by, w.pages) for w in rows]


def test_opening_syncs_sources_and_starts_a_run_per_source(crawl: Crawl, engine: Engine) -> None:
    crawl.recorder.spider_opened(crawl.spider)
    with session_scope(engine) as session:
        assert sorted(s.id for s in session.exec(select(Source)).all()) == ["a", "b"]
    started = runs(engine)
    assert {sid: run.status for sid, run in started.items()} == {"a": "running", "b": "running"}
    assert {sid: crawl.tally.run_id(sid) for sid in "ab"} == {
        sid: run.id for sid, run in started.items()
    }


def test_a_finished_crawl_records_its_walks_and_closes_runs_with_the_tally(
    crawl: Crawl, engine: Engine
) -> None:
    crawl.recorder.spider_opened(crawl.spider)
    crawl.tally.count("a", "list_pages", 2)
    crawl.tally.count("a", "new_articles", 3)
    crawl.tally.count("b", "list_pages")
    crawl.tally.error("b", "http://b.example/1", "HTTP 500")
    crawl.walk_ends("a")
    crawl.recorder.spider_closed(crawl.spider, "finished")
    closed = runs(engine)
    assert (closed["a"].status, closed["a"].list_pages, closed["a"].new_articles) == ("ok", 2, 3)
    assert (closed["b"].status, closed["b"].failed) == ("partial", 1)
    assert closed["b"].errors == [{"url": "http://b.example/1", "error": "HTTP 500"}]
    assert walks(engine) == [("a", "http://a.example/list/", "end", 2)]


def test_an_item_error_keeps_the_walks_unrecorded(crawl: Crawl, engine: Engine) -> None:
    crawl.recorder.spider_opened(crawl.spider)
    crawl.walk_ends("a")
    crawl.recorder.item_error({}, None, crawl.spider, None)
    crawl.recorder.spider_closed(crawl.spider, "finished")
    assert walks(engine) == []
    assert {run.status for run in runs(engine).values()} == {"ok"}


def test_a_crawl_stopped_early_interrupts_its_runs(crawl: Crawl, engine: Engine) -> None:
    crawl.recorder.spider_opened(crawl.spider)
    crawl.walk_ends("a")
    crawl.recorder.spider_closed(crawl.spider, "shutdown")
    assert walks(engine) == []
    assert {run.status for run in runs(engine).values()} == {"interrupted"}


def test_a_crawl_whose_runs_cannot_start_is_closed(
    crawl: Crawl, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(crawl.recorder.store, "sync_sources", broken)
    with pytest.raises(CloseSpider) as closing:
        crawl.recorder.spider_opened(crawl.spider)
    assert closing.value.reason == "runs_not_started"
    crawl.recorder.spider_closed(crawl.spider, "runs_not_started")  # nothing to close
