"""Source health in the database, on SQLite and PostgreSQL: the history reads, the upsert that
leaves ``baseline_at`` alone, and one operator alert per state change (not per run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crawler.alerts.channels import channels
from crawler.config import Config
from crawler.crawl.health import judge_sources
from storage import health as store
from storage.db import session_scope
from storage.models import AlertDelivery, CrawlRun, NewArticle, SourceHealth, SourceRecord
from storage.queries import finish_run, start_run, store_articles, sync_sources

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
NOTIFY = ["json://127.0.0.1:8999/hook", "tgram://123456:SECRETTOKEN/-100200300"]


def config(**health: object) -> Config:
    return Config.model_validate(
        {
            "database": "sqlite://",
            "sources": [{"id": "a", "name": "A", "start_urls": ["http://a.example/"]}],
            "health": {"notify": NOTIFY, "failing_after": 2, **health},
        }
    )


def add_run(engine: Engine, status: str, started: datetime, **counts: int) -> None:
    with session_scope(engine, write=True) as session:
        sync_sources(session=session, sources=[SourceRecord(id="a", name="A", start_urls=())])
        run_id = start_run(session=session, source_id="a")
        base = {"blocked": 0, "list_links": 5, "weak_bodies": 0, "list_pages": 1, "new_articles": 0}
        finish_run(
            session=session, run_id=run_id, status=status, counts={**base, **counts}, errors=[]
        )
        run = session.get(CrawlRun, run_id)
        assert run is not None
        run.started_at = started
        session.add(run)


def store_article(engine: Engine, source_id: str, fetched_at: datetime) -> None:
    url = f"http://a.example/{fetched_at.timestamp()}.html"
    article = NewArticle(
        source_id=source_id,
        url=url,
        canonical_url=url,
        fetched_at=fetched_at,
        text="正文",
        content_hash=url,
        extracted_at=fetched_at,
        raw_html_compressed=b"",
    )
    with session_scope(engine, write=True) as session:
        store_articles(session=session, articles=[article])


def health(engine: Engine) -> SourceHealth:
    with Session(engine) as session:
        row = session.get(SourceHealth, "a")
        assert row is not None
        return row


def alerts(engine: Engine) -> list[dict[str, object]]:
    with Session(engine) as session:
        return [dict(a) for a in store.health_alerts(session=session, source_id="a")]


def test_transitions_alert_once_and_baseline_is_left_alone(engine: Engine) -> None:
    cfg = config()
    add_run(engine, "ok", NOW - timedelta(hours=3), new_articles=3)
    [first] = judge_sources(engine, cfg, NOW - timedelta(hours=3))
    assert (first.state, first.previous, first.alert_id) == ("ok", None, None)
    assert alerts(engine) == []  # a new source in 'ok' is no change

    # the alerts side writes baseline_at in the meantime
    baseline = NOW - timedelta(hours=2, minutes=59)
    with session_scope(engine, write=True) as session:
        row = session.get(SourceHealth, "a")
        assert row is not None
        row.baseline_at = baseline
        session.add(row)

    add_run(engine, "failed", NOW - timedelta(hours=2), list_pages=0, list_links=0, failed=1)
    assert judge_sources(engine, cfg, NOW - timedelta(hours=2))[0].state == "ok"
    add_run(engine, "failed", NOW - timedelta(hours=1), list_pages=0, list_links=0, failed=1)
    [failing] = judge_sources(engine, cfg, NOW - timedelta(hours=1))
    assert failing.state == "failing" and failing.alert_id is not None
    # judged again, and after another failed run: still failing, no second alert
    assert judge_sources(engine, cfg, NOW - timedelta(minutes=50))[0].alert_id is None
    add_run(engine, "failed", NOW - timedelta(minutes=30), list_pages=0, list_links=0, failed=1)
    assert judge_sources(engine, cfg, NOW - timedelta(minutes=30))[0].alert_id is None
    row = health(engine)
    assert row.state == "failing" and row.consecutive_failures == 3
    assert row.since == NOW - timedelta(hours=1)  # since it entered the state
    assert row.checked_at == NOW - timedelta(minutes=30)
    assert row.baseline_at == baseline
    assert row.last_success_at is not None and row.last_new_article_at is None

    add_run(engine, "ok", NOW, new_articles=1)
    [back] = judge_sources(engine, cfg, NOW)
    assert (back.state, back.previous) == ("ok", "failing") and back.alert_id is not None
    assert health(engine).baseline_at == baseline
    history = alerts(engine)
    assert [(a["from"], a["to"]) for a in history] == [("ok", "failing"), ("failing", "ok")]
    assert "2 consecutive failed runs" in str(history[0]["reason"])

    # each alert has one pending delivery per notify URL, keyed and labelled without secrets
    with Session(engine) as session:
        deliveries = session.exec(select(AlertDelivery)).all()
    assert len(deliveries) == 4
    assert {(d.channel, d.channel_label) for d in deliveries} == set(channels(NOTIFY))
    assert all("SECRET" not in d.channel_label and d.state == "pending" for d in deliveries)
    labels = {d.channel_label for d in deliveries}
    assert "json://127.0.0.1:8999/hook" in labels
    assert any(label.startswith("tgram://") for label in labels)


def test_quiet_sets_in_without_a_run_and_history_reads(engine: Engine) -> None:
    cfg = config()
    day = timedelta(days=1)
    # baseline run (left out of the history), then a new article every day for a week
    add_run(engine, "ok", NOW - 30 * day, new_articles=40)
    for d in range(7):
        add_run(engine, "ok", NOW - (20 - d) * day, new_articles=1)
    add_run(engine, "ok", NOW - day, new_articles=0)
    with Session(engine) as session:
        times = store.new_article_times(session=session, source_ids=["a"], per_source=30)["a"]
        runs = store.recent_runs(session=session, source_ids=None, per_source=3)["a"]
    assert len(times) == 7 and min(times) == NOW - 20 * day
    assert [r.started_at for r in runs] == [NOW - day, NOW - 14 * day, NOW - 15 * day]
    # articles: the newest first-fetched one is the last new article
    store_article(engine, "a", NOW - 14 * day)
    [quiet] = judge_sources(engine, cfg, NOW)
    assert quiet.state == "quiet" and quiet.alert_id is not None
    assert "nothing new for 14 days" in quiet.reason
    assert health(engine).last_new_article_at == NOW - 14 * day
    # one day after the last article it was fine
    assert judge_sources(engine, cfg, NOW - 13 * day)[0].state == "ok"


def test_overview_and_judgement_cost_a_few_queries_whatever_the_sources(engine: Engine) -> None:
    ids = [f"s{n:03d}" for n in range(40)]
    cfg = Config.model_validate(
        {
            "database": "sqlite://",
            "sources": [{"id": i, "name": i, "start_urls": [f"http://{i}.example/"]} for i in ids],
        }
    )
    with session_scope(engine, write=True) as session:
        sync_sources(
            session=session, sources=[SourceRecord(id=i, name=i, start_urls=()) for i in ids]
        )
        for i in ids:
            for _ in range(2):
                run_id = start_run(session=session, source_id=i)
                counts = {"list_pages": 1, "list_links": 3, "new_articles": 1}
                errors = [{"url": "http://x/", "error": "HTTP 503"}]
                finish_run(
                    session=session, run_id=run_id, status="partial", counts=counts, errors=errors
                )
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            overview = store.health_overview(session=session)
        reads = len(statements)
        judge_sources(engine, cfg, NOW)
        judging = len(statements) - reads
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(overview) == 40 and overview["s001"].errors == {"HTTP 503": 2}
    assert reads <= 5
    # the reads, one upsert for all sources (no alert: all are new and ok)
    assert judging <= 9
