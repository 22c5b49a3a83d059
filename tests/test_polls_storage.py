"""The storage of cheap routine polls, on SQLite and PostgreSQL: robots.txt copies per origin and
list-page validators (``storage.http_cache``), and the bulk run and due-retry queries of a
crawl's start (``storage.polls``); and the crawl store's reading of them (``CrawlStore``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crawler.config import parse_config
from crawler.crawl.store import CrawlStore
from storage import http_cache, polls, queries
from storage.http_cache import CachedRobots, Validators
from storage.models import CrawlRun, SourceRecord, SourceWalk, UrlRecord

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def add_sources(session: Session, *ids: str) -> None:
    queries.sync_sources(session=session, sources=[SourceRecord(id=i, name=i) for i in ids])
    session.commit()


def test_robots_copies_are_kept_replaced_and_forgotten(session: Session) -> None:
    day = timedelta(hours=24)
    http_cache.save_robots(
        session=session,
        entries=[
            CachedRobots(
                "http://a.gov.cn", 200, "User-agent: *\nDisallow: /x/\x00", NOW, NOW + day
            ),
            CachedRobots("https://b.gov.cn:8443", 404, "", NOW, NOW + day),
        ],
    )
    session.commit()
    found = http_cache.cached_robots(
        session=session, origins=["http://a.gov.cn", "https://b.gov.cn:8443", "http://none"]
    )
    assert set(found) == {"http://a.gov.cn", "https://b.gov.cn:8443"}
    a = found["http://a.gov.cn"]
    assert (a.status, a.body) == (200, "User-agent: *\nDisallow: /x/")  # NUL dropped (PG text)
    assert a.fetched_at == NOW and a.expires_at == NOW + day
    assert a.fresh(NOW + timedelta(hours=23)) and not a.fresh(NOW + day)

    later = NOW + timedelta(days=2)
    http_cache.save_robots(
        session=session,
        entries=[CachedRobots("http://a.gov.cn", 200, "User-agent: *\n", later, later + day)],
    )
    session.commit()
    again = http_cache.cached_robots(session=session, origins=["http://a.gov.cn"])
    assert again["http://a.gov.cn"].body == "User-agent: *\n"
    assert again["http://a.gov.cn"].fetched_at == later

    assert http_cache.forget_robots(session=session, origins=["http://a.gov.cn"]) == 1
    assert http_cache.forget_robots(session=session) == 1
    session.commit()
    assert http_cache.cached_robots(session=session, origins=["https://b.gov.cn:8443"]) == {}


def test_validators_are_kept_per_list_page_and_dropped_when_none_are_served(
    session: Session,
) -> None:
    add_sources(session, "gov-a", "gov-b")
    page_a, page_b = "http://a.gov.cn/xwzx/", "http://b.gov.cn/news/"
    http_cache.save_validators(
        session=session,
        validators=[
            Validators(page_a, "gov-a", 'W/"1a"', "Wed, 20 Nov 2024 08:00:00 GMT", NOW),
            Validators(page_b, "gov-b", None, "Wed, 20 Nov 2024 08:00:00 GMT", NOW),
            Validators("http://a.gov.cn/none/", "gov-a", None, None, NOW),  # nothing to keep
        ],
    )
    session.commit()
    found = http_cache.list_validators(session=session, source_ids=["gov-a", "gov-b"])
    assert set(found) == {page_a, page_b}
    assert found[page_a].etag == 'W/"1a"' and found[page_a].checked_at == NOW
    assert http_cache.list_validators(session=session, source_ids=["gov-b"]).keys() == {page_b}

    http_cache.save_validators(
        session=session,
        validators=[
            Validators(page_a, "gov-a", '"2"', None, NOW + timedelta(hours=1)),  # replaced
            Validators(page_b, "gov-b", None, None, NOW),  # a 200 with none now: forgotten
        ],
    )
    session.commit()
    found = http_cache.list_validators(session=session, source_ids=["gov-a", "gov-b"])
    assert list(found) == [page_a]
    assert (found[page_a].etag, found[page_a].last_modified) == ('"2"', None)
    assert http_cache.forget_validators(session=session, canonical_urls=[page_a, page_b]) == 1


def test_runs_open_in_bulk_and_due_retries_are_found_per_source(session: Session) -> None:
    ids = [f"s{n:04d}" for n in range(1200)]  # more than one IN list
    add_sources(session, *ids)
    runs = polls.start_runs(session=session, source_ids=ids, host="h", pid=7, process_start="1")
    session.commit()
    assert list(runs) == ids and len(set(runs.values())) == len(ids)
    row = session.get(CrawlRun, runs["s0999"])
    assert row is not None and (row.source_id, row.status, row.pid) == ("s0999", "running", 7)

    queries.record_urls(
        session=session,
        records=[
            UrlRecord(canonical_url="http://x/1", source_id="s0003", state="error"),
            UrlRecord(canonical_url="http://x/2", source_id="s1100", state="error"),
            UrlRecord(canonical_url="http://x/3", source_id="s0004", state="article"),
        ],
        now=NOW,
        retry_base=timedelta(hours=1),
    )
    session.commit()
    assert polls.sources_with_due_urls(session=session, source_ids=ids, now=NOW) == set()
    later = NOW + timedelta(hours=2)
    due = polls.sources_with_due_urls(session=session, source_ids=ids, now=later)
    assert due == {"s0003", "s1100"}


def test_crawl_store_reads_walks_and_retries_in_bulk(engine: Engine) -> None:
    config = parse_config(
        {
            "sources": [
                {"id": "a", "name": "a", "start_urls": ["http://a.gov.cn/news/"]},
                {"id": "b", "name": "b", "start_urls": ["http://b.gov.cn/news/"]},
            ]
        }
    )
    store = CrawlStore(engine)
    store.sync_sources(config.sources)
    store.record_walks(
        [
            SourceWalk(
                source_id=sid,
                start_url=url,
                completed_at=NOW,
                ended_by="end",
                pages=1,
                max_list_pages=20,
            )
            for sid, url in (
                ("a", "http://a.gov.cn/news/"),
                ("a", "http://a.gov.cn/dropped/"),  # no longer configured: forgotten
                ("b", "http://b.gov.cn/news/"),
            )
        ]
    )
    assert store.walked_chains(config.sources) == {
        ("a", "http://a.gov.cn/news/"),
        ("b", "http://b.gov.cn/news/"),
    }
    with Session(engine) as session:
        left = session.exec(select(SourceWalk.start_url)).all()
    assert sorted(left) == ["http://a.gov.cn/news/", "http://b.gov.cn/news/"]
    store.record_urls([UrlRecord(canonical_url="http://b.gov.cn/1", source_id="b", state="error")])
    assert store.all_due_retries(["a", "b"], 10) == {}  # not due before an hour
    store.retry_base = timedelta(0)
    store.record_urls([UrlRecord(canonical_url="http://b.gov.cn/2", source_id="b", state="error")])
    assert store.all_due_retries(["a", "b"], 10) == {
        "b": [("http://b.gov.cn/2", "http://b.gov.cn/2")]
    }
    assert store.due_retries("a", 10) == []

    runs = store.start_runs(["a", "b"])
    store.finish_runs(
        [
            (runs["a"], "ok", {"list_pages": 1, "not_modified": 1}, []),
            (
                runs["b"],
                "failed",
                {"failed": 1},
                [{"url": "http://b.gov.cn/", "error": "HTTP 503"}],
            ),
        ]
    )
    with Session(engine) as session:
        rows = {r.source_id: r for r in session.exec(select(CrawlRun)).all()}
    assert rows["a"].status == "ok" and rows["a"].counts == {"list_pages": 1, "not_modified": 1}
    assert rows["b"].status == "failed" and rows["b"].errors[0]["error"] == "HTTP 503"
