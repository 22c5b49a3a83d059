"""storage.queries on SQLite and PostgreSQL: idempotent stores, URL memory, listings, overview."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage import queries
from storage.db import make_engine, session_scope, upgrade_schema
from storage.models import (
    ArticleHtml,
    ArticleUpdate,
    CrawledUrl,
    CrawlRun,
    NewArticle,
    NewAttachment,
    Source,
    SourceRecord,
    SourceWalk,
    UrlRecord,
)
from tests.fixtures_db import sqlite_url

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def source_config(source_id: str, name: str = "Site", tags: Sequence[str] = ()) -> SourceRecord:
    return SourceRecord(
        id=source_id, name=name, start_urls=(f"https://{source_id}.example/",), tags=tuple(tags)
    )


def new_article(
    n: int,
    *,
    source_id: str = "gov-a",
    published_on: date | None = None,
    fetched_at: datetime = T0,
    request_url: str | None = None,
) -> NewArticle:
    text = f"第{n}届城市发展论坛在京举行。"
    return NewArticle(
        source_id=source_id,
        url=f"https://{source_id}.example/a/{n}.html?from=list",
        canonical_url=f"https://{source_id}.example/a/{n}.html",
        request_canonical_url=request_url,
        title=f"论坛 {n}",
        text=text,
        published_on=published_on,
        language="zh",
        encoding="gb18030",
        fetched_at=fetched_at,
        extracted_at=fetched_at,
        content_hash=f"{n:064x}",
        raw_html_compressed=zlib.compress(f"<html><p>{text}</p></html>".encode()),
        content_type="text/html; charset=gbk",
        header_charset="gbk",
    )


@pytest.fixture
def sources(session: Session) -> None:
    """Two configured sources, committed."""
    queries.sync_sources(session=session, sources=[source_config("gov-a"), source_config("gov-b")])
    session.commit()


def url_state(session: Session, url: str) -> CrawledUrl | None:
    return session.get(CrawledUrl, url, populate_existing=True)


# -- sources and runs ------------------------------------------------------------------------


def test_sync_sources_inserts_then_updates_only_changed(session: Session) -> None:
    queries.sync_sources(session=session, sources=[source_config("gov-a", tags=["gov"])])
    session.commit()
    first = session.get(Source, "gov-a")
    assert first is not None
    created, updated = first.created_at, first.updated_at

    queries.sync_sources(session=session, sources=[source_config("gov-a", tags=["gov"])])
    session.commit()
    assert session.get(Source, "gov-a", populate_existing=True).updated_at == updated  # type: ignore[union-attr]

    queries.sync_sources(
        session=session, sources=[source_config("gov-a", name="Renamed"), source_config("gov-c")]
    )
    session.commit()
    changed = session.get(Source, "gov-a", populate_existing=True)
    assert changed is not None
    assert (changed.name, changed.tags, changed.created_at) == ("Renamed", [], created)
    assert changed.updated_at > updated
    assert session.get(Source, "gov-c") is not None


@pytest.mark.usefixtures("sources")
def test_runs_record_counters_and_at_most_50_errors(session: Session) -> None:
    run_id = queries.start_run(session=session, source_id="gov-a")
    errors = [{"url": f"https://gov-a.example/{i}", "error": "HTTP 500"} for i in range(60)]
    counts = {"list_pages": 3, "new_articles": 7, "failed": 60, "blocked_by_robots": 2}
    queries.finish_run(
        session=session, run_id=run_id, status="partial", counts=counts, errors=errors
    )
    session.commit()

    run = session.get(CrawlRun, run_id, populate_existing=True)
    assert run is not None
    assert (run.status, run.list_pages, run.new_articles, run.known_articles) == (
        "partial",
        3,
        7,
        0,
    )
    assert len(run.errors) == 50 and run.errors[0] == errors[0]
    assert run.finished_at is not None and run.finished_at >= run.started_at
    with pytest.raises(ValueError, match="unknown run status"):
        queries.finish_run(session=session, run_id=run_id, status="done", counts={}, errors=[])


# -- storing articles ------------------------------------------------------------------------


@pytest.mark.usefixtures("sources")
def test_store_articles_is_idempotent(session: Session) -> None:
    batch = [new_article(n) for n in range(3)]
    ids = queries.store_articles(session=session, articles=batch)
    session.commit()
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 3

    assert queries.store_articles(session=session, articles=batch) == [None, None, None]
    session.commit()
    assert queries.count_articles(session=session) == 3
    assert ids[0] is not None
    html = session.get(ArticleHtml, ids[0])
    assert html is not None and zlib.decompress(html.raw_html).startswith(b"<html>")
    assert html.header_charset == "gbk"
    state = url_state(session, batch[0].canonical_url)
    assert state is not None and state.state == "article"


@pytest.mark.usefixtures("sources")
def test_crash_replay_stores_exactly_once(engine: Engine) -> None:
    batch = [new_article(n) for n in range(5)]
    with pytest.raises(RuntimeError), session_scope(engine, write=True) as session:
        queries.store_articles(session=session, articles=batch)
        raise RuntimeError("worker died before commit")
    with session_scope(engine, write=True) as session:
        first = queries.store_articles(session=session, articles=batch)
    with session_scope(engine, write=True) as session:
        replay = queries.store_articles(session=session, articles=batch)
    with session_scope(engine) as session:
        assert queries.count_articles(session=session) == 5
        pages = [row for page in queries.iter_article_html(session=session) for row in page]
    assert None not in first and replay == [None] * 5
    assert sorted(row[0] for row in pages) == sorted(first)  # type: ignore[type-var]


@pytest.mark.usefixtures("sources")
def test_duplicate_within_batch_and_redirect(session: Session) -> None:
    moved = new_article(1, request_url="https://gov-a.example/old/1.html")
    ids = queries.store_articles(session=session, articles=[moved, new_article(1), new_article(2)])
    session.commit()
    assert ids[0] is not None and ids[1] is None and ids[2] is not None
    redirect = url_state(session, "https://gov-a.example/old/1.html")
    assert redirect is not None and redirect.state == "redirect"
    assert (
        queries.unseen_urls(
            session=session,
            canonical_urls=["https://gov-a.example/old/1.html", moved.canonical_url],
            now=T0,
        )
        == []
    )


@pytest.mark.usefixtures("sources")
def test_attachments_are_stored_once_and_linked(session: Session) -> None:
    (article_id,) = queries.store_articles(session=session, articles=[new_article(1)])
    files = [
        NewAttachment(
            source_id="gov-a",
            url=f"https://gov-a.example/f/{n}.pdf",
            canonical_url=f"https://gov-a.example/f/{n}.pdf",
            article_id=article_id,
            title=f"附件{n}",
            size=2**33,
            discovered_at=T0,
        )
        for n in range(3)
    ]
    assert queries.store_attachments(session=session, attachments=files) == 3
    assert queries.store_attachments(session=session, attachments=files + files) == 0
    session.commit()
    assert article_id is not None
    linked = queries.article_attachments(session=session, article_id=article_id)
    assert [a.title for a in linked] == ["附件0", "附件1", "附件2"] and linked[0].size == 2**33
    state = url_state(session, files[0].canonical_url)
    assert state is not None and state.state == "attachment"


# -- the URL memory --------------------------------------------------------------------------


@pytest.mark.usefixtures("sources")
def test_unseen_urls_honours_states_and_retry_after(session: Session) -> None:
    def record(url: str, state: str) -> UrlRecord:
        return UrlRecord(canonical_url=url, source_id="gov-a", state=state)

    queries.record_urls(
        session=session,
        records=[record("u:gone", "gone"), record("u:err", "error"), record("u:no", "not_article")],
        now=T0,
    )
    session.commit()
    asked = ["u:new", "u:gone", "u:err", "u:new", "u:no", "u:other"]
    assert queries.unseen_urls(session=session, canonical_urls=asked, now=T0) == [
        "u:new",
        "u:other",
    ]
    later = T0 + timedelta(hours=1)
    assert queries.unseen_urls(session=session, canonical_urls=asked, now=later) == [
        "u:new",
        "u:err",
        "u:other",
    ]


@pytest.mark.usefixtures("sources")
def test_unseen_urls_handles_more_than_one_chunk(session: Session) -> None:
    urls = [f"https://gov-a.example/p/{n}" for n in range(1_200)]
    records = [UrlRecord(canonical_url=u, source_id="gov-a", state="gone") for u in urls[::2]]
    queries.record_urls(session=session, records=records, now=T0)
    assert queries.unseen_urls(session=session, canonical_urls=urls, now=T0) == urls[1::2]


@pytest.mark.usefixtures("sources")
def test_record_urls_backs_off_exponentially_up_to_a_week(session: Session) -> None:
    failure = UrlRecord(canonical_url="u:flaky", source_id="gov-a", state="error", error="timeout")
    delays = []
    for _ in range(10):
        queries.record_urls(session=session, records=[failure], now=T0)
        state = url_state(session, "u:flaky")
        assert state is not None and state.retry_after is not None
        delays.append(state.retry_after - T0)
    assert delays[:4] == [timedelta(hours=h) for h in (1, 2, 4, 8)]
    assert delays[-1] == timedelta(days=7)
    assert state is not None and state.attempts == 10 and state.last_error == "timeout"


@pytest.mark.usefixtures("sources")
def test_due_urls_lists_a_sources_failures_once_due_with_their_linked_url(
    session: Session,
) -> None:
    def failed(
        url: str, *, base: timedelta, source_id: str = "gov-a", linked: str | None = None
    ) -> None:
        record = UrlRecord(canonical_url=url, source_id=source_id, state="error", url=linked)
        queries.record_urls(session=session, records=[record], now=T0, retry_base=base)

    five = timedelta(minutes=5)
    failed("u:1", base=five, linked="u:1?from=list")
    failed("u:1", base=five)  # second failure: due after 10 min; the linked URL is kept
    failed("u:2", base=timedelta(0))
    failed("u:b", base=timedelta(0), source_id="gov-b")
    stored = new_article(3)
    queries.store_articles(session=session, articles=[stored])
    failed(stored.canonical_url, base=timedelta(0))  # a stored page is never due

    def due(at: datetime, limit: int = 10) -> list[tuple[str, str]]:
        return queries.due_urls(session=session, source_id="gov-a", now=at, limit=limit)

    assert due(T0 + timedelta(minutes=9)) == [("u:2", "u:2")]
    later = T0 + timedelta(minutes=10)
    assert due(later) == [("u:2", "u:2"), ("u:1", "u:1?from=list")]
    assert due(later, limit=1) == [("u:2", "u:2")]


@pytest.mark.usefixtures("sources")
def test_walks_are_recorded_replaced_and_forgotten(session: Session) -> None:
    def walk(source_id: str, url: str, ended_by: str = "end", pages: int = 3) -> SourceWalk:
        return SourceWalk(
            source_id=source_id,
            start_url=url,
            completed_at=T0,
            ended_by=ended_by,
            pages=pages,
            max_list_pages=20,
        )

    queries.record_walks(session=session, walks=[walk("gov-a", "u:a1"), walk("gov-b", "u:b1")])
    queries.record_walks(session=session, walks=[walk("gov-a", "u:a1", "limit", 20)])
    queries.record_walks(session=session, walks=[walk("gov-a", "u:a2")])
    with pytest.raises(ValueError, match="unknown walk end"):
        queries.record_walks(session=session, walks=[walk("gov-a", "u:a3", "killed")])
    found = queries.completed_walks(session=session, source_ids=["gov-a"])
    assert sorted((w.start_url, w.ended_by, w.pages) for w in found) == [
        ("u:a1", "limit", 20),
        ("u:a2", "end", 3),
    ]
    assert queries.forget_walks(session=session, source_id="gov-a", keep=["u:a2"]) == 1
    remaining = queries.completed_walks(session=session, source_ids=["gov-a", "gov-b"])
    assert sorted((w.source_id, w.start_url) for w in remaining) == [
        ("gov-a", "u:a2"),
        ("gov-b", "u:b1"),
    ]


@pytest.mark.usefixtures("sources")
def test_record_urls_never_downgrades_a_stored_url(session: Session) -> None:
    article = new_article(1)
    queries.store_articles(session=session, articles=[article])
    downgrade = UrlRecord(
        article.canonical_url, "gov-a", "error", http_status=500, error="HTTP 500"
    )
    queries.record_urls(session=session, records=[downgrade], now=T0 + timedelta(days=1))
    session.commit()
    state = url_state(session, article.canonical_url)
    assert state is not None
    assert (state.state, state.http_status, state.attempts, state.retry_after) == (
        "article",
        None,
        1,
        None,
    )
    with pytest.raises(ValueError, match="unknown URL state"):
        queries.record_urls(
            session=session,
            records=[UrlRecord("u:x", "gov-a", "weird")],
            now=T0,
        )


# -- reading ---------------------------------------------------------------------------------


@pytest.fixture
def dated_articles(session: Session, sources: None) -> dict[str, int]:
    """Articles with and without a stated date, keyed by a short label."""
    specs = {
        "old": dict(published_on=date(2025, 1, 5), fetched_at=T0),
        "new": dict(published_on=date(2025, 2, 20), fetched_at=T0),
        "new-later-fetch": dict(published_on=date(2025, 2, 20), fetched_at=T0 + timedelta(hours=1)),
        "undated-recent": dict(published_on=None, fetched_at=T0 + timedelta(days=2)),
        "undated-old": dict(published_on=None, fetched_at=T0 - timedelta(days=60)),
        "other-source": dict(published_on=date(2025, 2, 25), fetched_at=T0),
    }
    articles = [
        new_article(n, source_id="gov-b" if label == "other-source" else "gov-a", **spec)  # type: ignore[arg-type]
        for n, (label, spec) in enumerate(specs.items())
    ]
    ids = queries.store_articles(session=session, articles=articles)
    session.commit()
    return {label: i for label, i in zip(specs, ids, strict=True) if i is not None}


def test_list_articles_newest_first_with_undated_last(
    session: Session, dated_articles: dict[str, int]
) -> None:
    listed = [a.id for a in queries.list_articles(session=session, source_id="gov-a")]
    expected = ["new-later-fetch", "new", "old", "undated-recent", "undated-old"]
    assert listed == [dated_articles[label] for label in expected]
    assert len(queries.list_articles(session=session, limit=2)) == 2


def test_list_articles_since(session: Session, dated_articles: dict[str, int]) -> None:
    since = date(2025, 2, 1)
    listed = {a.id for a in queries.list_articles(session=session, since=since)}
    expected = {"other-source", "new-later-fetch", "new", "undated-recent"}
    assert listed == {dated_articles[label] for label in expected}


@pytest.mark.usefixtures("sources")
def test_datetimes_round_trip_timezone_aware(session: Session) -> None:
    fetched = datetime(2025, 3, 1, 20, 30, 15, 123456, tzinfo=BEIJING)
    article = new_article(1, fetched_at=fetched).model_copy(update={"published_at": fetched})
    (article_id,) = queries.store_articles(session=session, articles=[article])
    session.commit()
    session.expunge_all()
    assert article_id is not None
    stored = queries.get_article(session=session, article_id=article_id)
    assert stored is not None
    assert stored.fetched_at == fetched and stored.published_at == fetched
    assert stored.fetched_at.tzinfo == UTC and stored.fetched_at.hour == 12


@pytest.mark.usefixtures("sources")
def test_naive_datetimes_are_refused(session: Session) -> None:
    naive = new_article(1, fetched_at=datetime(2025, 3, 1, 8, 0))
    with pytest.raises(exc.StatementError, match="timezone"):
        queries.store_articles(session=session, articles=[naive])


def test_source_overview_counts_and_last_run(
    session: Session, dated_articles: dict[str, int]
) -> None:
    queries.sync_sources(session=session, sources=[source_config("gov-c")])
    first = queries.start_run(session=session, source_id="gov-a")
    queries.finish_run(session=session, run_id=first, status="ok", counts={}, errors=[])
    latest = queries.start_run(session=session, source_id="gov-a")
    session.commit()

    overview = {o.source.id: o for o in queries.source_overview(session=session)}
    assert {sid: o.article_count for sid, o in overview.items()} == {
        "gov-a": 5,
        "gov-b": 1,
        "gov-c": 0,
    }
    last_run = overview["gov-a"].last_run
    assert last_run is not None and (last_run.id, last_run.status) == (latest, "running")
    assert overview["gov-b"].last_run is None
    assert queries.count_articles(session=session, source_id="gov-b") == 1


def test_iter_article_html_visits_every_row_once(
    session: Session, dated_articles: dict[str, int]
) -> None:
    pages = list(queries.iter_article_html(session=session, batch_size=2))
    assert [len(page) for page in pages] == [2, 2, 2]
    ids = [row[0] for page in pages for row in page]
    assert ids == sorted(dated_articles.values())
    article_id, url, source_id, html, charset, fetched_at = pages[0][0]
    assert url.startswith(f"https://{source_id}.example/") and charset == "gbk"
    assert fetched_at.tzinfo is not None
    assert zlib.decompress(html).startswith(b"<html>")
    only_b = [
        row
        for page in queries.iter_article_html(session=session, source_id="gov-b")
        for row in page
    ]
    assert [row[0] for row in only_b] == [dated_articles["other-source"]]


def test_update_extractions_rewrites_fields(
    session: Session, dated_articles: dict[str, int]
) -> None:
    when = T0 + timedelta(days=3)
    updates = [
        ArticleUpdate(
            id=article_id,
            title="新标题",
            text="重新抽取的正文",
            published_on=date(2024, 12, 31),
            published_at=datetime(2024, 12, 31, 1, 0, tzinfo=UTC),
            language="zh",
            encoding="gb18030",
            content_hash="ab" * 32,
            extracted_at=when,
        )
        for article_id in (dated_articles["old"], dated_articles["new"], 999_999)
    ]
    assert queries.update_extractions(session=session, updates=updates) == 2
    session.commit()
    session.expunge_all()
    updated = queries.get_article(session=session, article_id=dated_articles["old"])
    assert updated is not None
    assert (updated.title, updated.text, updated.extracted_at, updated.author) == (
        "新标题",
        "重新抽取的正文",
        when,
        None,
    )
    assert updated.canonical_url.endswith("/a/0.html")
    hashes = queries.article_hashes(session=session, source_id="gov-a")
    assert len(hashes) == 5 and hashes[dated_articles["new"]] == "ab" * 32


# -- SQLite specifics ------------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "nested" / "dir"))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()
    assert (tmp_path / "nested" / "dir" / "forumwatch.db").exists()


def test_sqlite_concurrent_writers_in_separate_engines(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    setup = make_engine(url)
    upgrade_schema(setup)
    with session_scope(setup, write=True) as session:
        queries.sync_sources(session=session, sources=[source_config("gov-a")])
    setup.dispose()
    failures: list[BaseException] = []

    def writer(worker: int) -> None:
        engine = make_engine(url)  # one engine per thread, as in separate processes
        try:
            for batch in range(10):
                articles = [new_article(worker * 1_000 + batch * 10 + n) for n in range(10)]
                urls = [a.canonical_url for a in articles]
                with session_scope(engine, write=True) as session:
                    # read, then write: the pattern that fails without BEGIN IMMEDIATE
                    unseen = set(queries.unseen_urls(session=session, canonical_urls=urls, now=T0))
                    fresh = [a for a in articles if a.canonical_url in unseen]
                    queries.store_articles(session=session, articles=fresh)
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    check = make_engine(url)
    with session_scope(check) as session:
        assert queries.count_articles(session=session) == 400
        assert len(session.exec(select(CrawledUrl)).all()) == 400
    check.dispose()


def test_stale_running_runs_are_marked_interrupted(session: Session) -> None:
    queries.sync_sources(session=session, sources=[source_config("gov-a"), source_config("gov-b")])
    old = queries.start_run(session=session, source_id="gov-a")
    other = queries.start_run(session=session, source_id="gov-b")
    later = utcnow_plus(hours=13)
    assert (
        queries.abandon_stale_runs(session=session, source_ids=["gov-a"], started_before=later) == 1
    )
    fresh = queries.start_run(session=session, source_id="gov-a")
    assert queries.abandon_stale_runs(session=session, source_ids=["gov-a"], started_before=T0) == 0
    session.expire_all()
    statuses = {run.id: run.status for run in session.exec(select(CrawlRun)).all()}
    assert statuses == {old: "interrupted", other: "running", fresh: "running"}


def utcnow_plus(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)
