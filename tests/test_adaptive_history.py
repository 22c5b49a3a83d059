"""A source's publication history (``storage.history``) on SQLite and PostgreSQL, and the
service's glue (``crawler.service.adaptive``) that plans an adaptive source from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from crawler.config import Config, ServiceConfig, SourceConfig
from crawler.crawl.store import CrawlStore
from crawler.monitor.adaptive import AdaptiveTrigger
from crawler.service.adaptive import adaptive_trigger
from storage.history import PublicationTime, last_found, publication_times
from storage.models import NewArticle
from tests.articles import new_article

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 0, 0, tzinfo=BEIJING).astimezone(UTC)  # Monday 00:00 Beijing
SOURCES = [SourceConfig(id=s, name=s, start_urls=[f"https://{s}.example/"]) for s in ("a", "b")]


def make_article(
    key: str,
    source: str,
    *,
    fetched: datetime,
    published_at: datetime | None = None,
    published_on: date | None = None,
) -> NewArticle:
    entry = {"id": key, "title": f"标题{key}", "text": f"第{key}篇文章的正文。" * 20}
    article = new_article(entry, source, 0)
    return article.model_copy(
        update={"fetched_at": fetched, "published_at": published_at, "published_on": published_on}
    )


def store(engine: Engine, articles: list[NewArticle]) -> None:
    crawl_store = CrawlStore(engine)
    crawl_store.sync_sources(SOURCES)
    crawl_store.store_batch([(article, ()) for article in articles])


def test_publication_times_of_a_source_since_a_time(engine: Engine) -> None:
    stated = datetime(2026, 5, 20, 2, 30, tzinfo=UTC)
    store(
        engine,
        [
            make_article(
                "timed",
                "a",
                fetched=stated + timedelta(minutes=20),
                published_at=stated,
                published_on=date(2026, 5, 20),
            ),
            make_article(
                "dated",
                "a",
                fetched=datetime(2026, 5, 22, 1, tzinfo=UTC),
                published_on=date(2026, 5, 21),
            ),
            make_article("undated", "a", fetched=datetime(2026, 5, 25, 3, tzinfo=UTC)),
            # stated long ago, though found recently (a baseline crawl): not recent evidence
            make_article(
                "old",
                "a",
                fetched=datetime(2026, 5, 25, 3, tzinfo=UTC),
                published_on=date(2024, 1, 2),
            ),
            make_article("undated-old", "a", fetched=datetime(2026, 1, 5, tzinfo=UTC)),
            make_article("other-source", "b", fetched=datetime(2026, 5, 25, 3, tzinfo=UTC)),
        ],
    )
    with Session(engine) as session:
        times = publication_times(session, "a", datetime(2026, 5, 1, tzinfo=UTC))
        assert publication_times(session, "nobody", datetime(2026, 5, 1, tzinfo=UTC)) == []
    assert times == [
        PublicationTime(stated, date(2026, 5, 20), stated + timedelta(minutes=20)),
        PublicationTime(None, date(2026, 5, 21), datetime(2026, 5, 22, 1, tzinfo=UTC)),
        PublicationTime(None, None, datetime(2026, 5, 25, 3, tzinfo=UTC)),
    ]
    assert all(t.fetched_at.tzinfo is not None for t in times)
    with Session(engine) as session:
        assert last_found(session, "a") == datetime(2026, 5, 25, 3, tzinfo=UTC)
        assert last_found(session, "nobody") is None
    assert times[0].published_at is not None and times[0].published_at.utcoffset() == timedelta(0)


def test_adaptive_trigger_plans_from_the_stored_history(engine: Engine) -> None:
    config = Config(sources=SOURCES, service=ServiceConfig(polls_per_day=48, jitter=timedelta(0)))
    # an empty history: the even spread of the budget
    empty = adaptive_trigger(engine, SOURCES[0], config, NOW)
    assert isinstance(empty, AdaptiveTrigger) and not empty.plan.learned
    articles = []
    for n in range(1, 60):
        day = NOW.astimezone(BEIJING) - timedelta(days=n)
        if day.weekday() >= 5:
            continue
        for hour in (10, 15):  # Beijing 10:00 and 15:00 on weekdays
            at = (day + timedelta(hours=hour, minutes=n % 50)).astimezone(UTC)
            articles.append(
                make_article(
                    f"{n}-{hour}", "a", fetched=at + timedelta(minutes=25), published_at=at
                )
            )
    store(engine, articles)
    trigger = adaptive_trigger(engine, SOURCES[0], config, NOW)
    assert trigger.plan.learned and trigger.jitter is None
    fires, previous = [], None
    for _ in range(48 * 7):
        previous = trigger.get_next_fire_time(previous, NOW)
        assert previous is not None
        fires.append(previous)
    assert fires[-1] - fires[0] > timedelta(days=6)
    hours = [t.astimezone(BEIJING).hour for t in fires]
    assert hours.count(10) > 4 * hours.count(3)
    # source b has no history: still an even spread
    assert not adaptive_trigger(engine, SOURCES[1], config, NOW).plan.learned
