"""The alert outbox and its dispatcher, on SQLite and PostgreSQL, delivering for real to a local
HTTP receiver (``json://``) and a local SMTP server (``mailto://``).

Articles are stored as a crawl stores them (``CrawlStore.store_batch`` with the crawl's
``ArticleAlerter``); the dispatcher runs on a fake clock (``now=``) where back-off and leases
matter, while the sends themselves are real."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import select

from crawler.alerts.dispatch import DispatchLoop, dispatch_due
from crawler.alerts.outbox import ArticleAlerter
from crawler.config import Config, SourceConfig, parse_config
from crawler.crawl.store import CrawlStore
from storage import alerts as outbox
from storage.db import session_scope
from storage.models import Alert, AlertDelivery, NewArticle, SourceHealth
from tests.alert_receivers import HttpReceiver, SmtpReceiver, text_of
from tests.articles import new_article
from tests.faults.newsroom import article_text, article_title
from tests.fixtures_sites import run_cli

SOURCES = [
    {"id": s, "name": f"{s}站", "start_urls": [f"https://{s}.example/"], "tags": ["gov"]}
    for s in ("a", "b", "c")
]


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


def make_config(engine: Engine, http: HttpReceiver, smtp: SmtpReceiver, **rules: Any) -> Config:
    alerts = [
        {
            "name": "论坛",
            "notify": [http.url(path="/hook"), smtp.url()],
            "match": {"keywords": ["論壇"]},
        },
        {
            "name": "每日",
            "notify": [http.url(path="/digest")],
            "mode": "digest",
            "digest_at": "08:00",
        },
    ]
    return parse_config(
        {
            "database": engine.url.render_as_string(hide_password=False),
            "sources": SOURCES,
            "alerts": rules.get("alerts", alerts),
            "health": {"notify": [http.url(path="/health")]},
        }
    )


def article(n: int, source: str, *, key: str | None = None, **fields: Any) -> NewArticle:
    """Article ``n`` (a forum article, published today) on ``source``; the same ``n`` on
    another source is a repost (the same text)."""
    text = re.sub(r"</?p>", "\n", article_text(n)).strip()
    entry = {"id": key or f"{n}", "title": article_title(n), "text": text}
    made = new_article(entry, source, n)
    now = datetime.now(UTC)
    return made.model_copy(update={"fetched_at": now, "published_on": now.date(), **fields})


def crawl_store(engine: Engine, config: Config, baselined: set[str]) -> CrawlStore:
    store = CrawlStore(engine)
    store.sync_sources(SourceConfig.model_validate(s) for s in SOURCES)
    store.alerter = ArticleAlerter.for_crawl(config, baselined)
    return store


def alerts_of(engine: Engine) -> list[Alert]:
    with session_scope(engine) as session:
        return list(session.exec(select(Alert).order_by(Alert.id)))  # type: ignore[arg-type]


def deliveries(engine: Engine) -> list[AlertDelivery]:
    with session_scope(engine) as session:
        return list(session.exec(select(AlertDelivery).order_by(AlertDelivery.id)))  # type: ignore[arg-type]


def test_baselined_sources_alert_once_per_rule_and_channel_and_reposts_add_nothing(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    config = make_config(engine, http, smtp)
    store = crawl_store(engine, config, baselined={"a", "b"})
    assert article(1, "a").relevant  # the fixture articles are forum articles
    # a new article and, in the same batch, its repost on b; an article of c (not baselined)
    store.store_batch(
        [(article(1, "a"), ()), (article(1, "b", key="r1"), ()), (article(3, "c"), ())]
    )
    rows = alerts_of(engine)
    assert [(a.rule, a.source_id, a.matched) for a in rows] == [
        ("论坛", "a", ["論壇"]),
        ("每日", "a", []),
    ]
    assert len(deliveries(engine)) == 3  # two channels of 论坛, one of 每日
    # a later repost (another batch, another crawl) adds nothing
    crawl_store(engine, config, baselined={"a", "b", "c"}).store_batch(
        [(article(1, "c", key="r2"), ())]
    )
    assert len(alerts_of(engine)) == 2

    summary = dispatch_due(engine, config)
    assert (summary.messages, summary.sent, summary.retried, summary.dead) == (2, 2, 0, 0)
    [hook] = http.wait_for(1)
    [mail] = smtp.wait_for(1)
    body = hook.json()["message"]
    assert hook.path == "/hook" and article_title(1) in hook.json()["title"]
    assert "网站：a站（a）" in body and "命中关键词：論壇" in body
    assert "其他转载网站：b站、c站" in body  # the reposts known when it was sent
    assert "http://a.example/1.html" in body
    assert article_title(1) in str(mail["Subject"]) and "其他转载网站：b站、c站" in text_of(mail)
    assert mail.get_body(preferencelist=("html",)) is None  # plain text only
    # nothing is sent twice; the digest waits for 08:00 Shanghai
    assert dispatch_due(engine, config).claimed == 0
    time.sleep(0.2)
    assert len(http.received) == 1 and len(smtp.messages) == 1
    states = {d.channel_label.split("?")[0]: d.state for d in deliveries(engine)}
    assert sorted(states.values()) == ["pending", "sent", "sent"]


def test_digest_is_one_message_listing_the_days_articles(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    digest = {"name": "每日", "notify": [http.url(path="/digest")], "mode": "digest"}
    config = make_config(engine, http, smtp, alerts=[digest])
    store = crawl_store(engine, config, baselined={"a", "b"})
    store.store_batch([(article(1, "a"), ())])
    store.store_batch([(article(2, "b"), ()), (article(2, "a", key="r2"), ())])
    store.store_batch([(article(4, "a"), ())])
    due = {d.next_attempt_at.replace(tzinfo=UTC) for d in deliveries(engine)}
    assert len(due) == 1
    digest_due = due.pop()
    assert (digest_due.hour, digest_due.minute) == (0, 0)  # 08:00 in Shanghai
    assert dispatch_due(engine, config).claimed == 0  # not before
    summary = dispatch_due(engine, config, now=digest_due + timedelta(seconds=1))
    assert (summary.messages, summary.sent) == (1, 3)
    [digest] = http.wait_for(1)
    assert digest.path == "/digest"
    message = digest.json()["message"]
    for n, title in enumerate([article_title(1), article_title(2), article_title(4)], start=1):
        assert f"{n}. {title}" in message
    assert "其他转载网站：a站" in message  # article 2 was also carried by a
    assert "3 篇" in digest.json()["title"]


def test_receiver_down_is_retried_with_backoff_and_delivered_once(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    config = make_config(engine, http, smtp, alerts=[{"name": "r", "notify": [http.url()]}])
    crawl_store(engine, config, {"a"}).store_batch([(article(1, "a"), ())])
    http.mode = "down"
    t0 = datetime.now(UTC)
    first = dispatch_due(engine, config, now=t0)
    assert (first.sent, first.retried) == (0, 1) and len(http.attempts) == 1
    [delivery] = deliveries(engine)
    assert (
        delivery.state == "pending"
        and delivery.attempts == 1
        and "503" in (delivery.last_error or "")
    )
    assert dispatch_due(engine, config, now=t0 + timedelta(seconds=30)).claimed == 0  # backing off
    http.mode = "ok"
    assert dispatch_due(engine, config, now=t0 + timedelta(minutes=2)).sent == 1
    assert dispatch_due(engine, config, now=t0 + timedelta(hours=5)).claimed == 0
    assert len(http.wait_for(1)) == 1 and len(http.attempts) == 2
    [delivery] = deliveries(engine)
    assert delivery.state == "sent" and delivery.attempts == 2


def test_a_hanging_receiver_times_out_and_is_retried(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    config = make_config(engine, http, smtp, alerts=[{"name": "r", "notify": [http.url()]}])
    crawl_store(engine, config, {"a"}).store_batch([(article(1, "a"), ())])
    http.mode = "hang"
    started = time.monotonic()
    summary = dispatch_due(engine, config, timeout=0.5)
    assert time.monotonic() - started < 5 and summary.retried == 1
    http.mode = "ok"
    assert dispatch_due(engine, config, now=datetime.now(UTC) + timedelta(minutes=2)).sent == 1
    assert len(http.wait_for(1)) == 1


def test_a_dispatcher_killed_mid_send_is_replaced_after_its_lease(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    config = make_config(engine, http, smtp, alerts=[{"name": "r", "notify": [http.url()]}])
    crawl_store(engine, config, {"a"}).store_batch([(article(1, "a"), ())])
    t0 = datetime.now(UTC)
    lease = timedelta(minutes=5)
    with session_scope(engine, write=True) as session:  # claimed, then the process died
        assert len(outbox.claim_due(session=session, now=t0, lease=lease)) == 1
    with session_scope(engine, write=True) as session:  # a second claimer gets nothing
        assert outbox.claim_due(session=session, now=t0, lease=lease) == []
    assert dispatch_due(engine, config, now=t0 + timedelta(minutes=1)).claimed == 0
    assert dispatch_due(engine, config, now=t0 + lease + timedelta(seconds=1)).sent == 1
    assert len(http.wait_for(1)) == 1
    assert deliveries(engine)[0].attempts == 2


def test_dead_letter_after_max_attempts_and_when_a_channel_is_removed(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    config = make_config(
        engine, http, smtp, alerts=[{"name": "r", "notify": [http.url(), smtp.url()]}]
    )
    crawl_store(engine, config, {"a"}).store_batch([(article(1, "a"), ())])
    http.mode = "down"
    t = datetime.now(UTC)
    first = dispatch_due(engine, config, now=t, max_attempts=3)
    assert first.sent == 1 and first.retried == 1  # the mail went out
    for _ in range(4):
        t += timedelta(hours=2)
        dispatch_due(engine, config, now=t, max_attempts=3)
    assert len(http.attempts) == 3
    with session_scope(engine) as session:
        [dead] = outbox.recent_alerts(session=session, state="dead")
    states = {d["state"]: d for d in dead.deliveries}
    assert set(states) == {"dead", "sent"} and states["dead"]["attempts"] == 3
    assert "attempt 3" in states["dead"]["last_error"]
    # and `forumwatch alerts` shows the dead letter
    path = tmp_path / "forumwatch.yaml"
    on_disk = {
        "database": config.database,
        "sources": SOURCES,
        "alerts": [{"name": "r", "notify": config.alerts[0].notify}],
    }
    path.write_text(yaml.safe_dump(on_disk, allow_unicode=True))
    listed = run_cli(path, "alerts", "--dead", "--json")
    assert listed.returncode == 0, listed.stderr
    [record] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(d["state"] for d in record["deliveries"]) == ["dead", "sent"]
    human = run_cli(path, "alerts")
    assert "dead" in human.stdout and "attempt 3" in human.stdout

    # a channel no longer in its rule's notify list is dead-lettered with that reason
    crawl_store(engine, config, {"a"}).store_batch([(article(2, "a"), ())])
    changed = make_config(engine, http, smtp, alerts=[{"name": "r", "notify": [smtp.url()]}])
    summary = dispatch_due(engine, changed)
    assert (summary.sent, summary.dead) == (1, 1)
    last = deliveries(engine)[-2:]
    reasons = {d.state: d.last_error for d in last}
    assert "no longer in the notify list" in (reasons["dead"] or "")


def test_flagged_old_and_irrelevant_articles_do_not_alert(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    rules = [
        {"name": "strict", "notify": [http.url()]},
        {"name": "lenient", "notify": [http.url(path="/all")], "match": {"flags": ["any"]}},
    ]
    config = make_config(engine, http, smtp, alerts=rules)
    store = crawl_store(engine, config, {"a"})
    old = datetime.now(UTC).date() - timedelta(days=10)
    store.store_batch(
        [
            (article(1, "a", flags=["spam_injection"]), ()),
            (article(2, "a", published_on=old), ()),
            (article(3, "a", relevant=False), ()),
            (article(4, "a", flags=["repost", "short_body"]), ()),
        ]
    )
    got = {(a.rule, a.payload["title"]) for a in alerts_of(engine)}
    assert got == {
        ("lenient", article_title(1)),
        ("strict", article_title(4)),
        ("lenient", article_title(4)),
    }


def test_baselines_set_only_their_column(engine: Engine) -> None:
    store = CrawlStore(engine)
    store.sync_sources(SourceConfig.model_validate(s) for s in SOURCES)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(engine, write=True) as session:
        session.add(
            SourceHealth(
                source_id="a", state="failing", since=since, reason="503", consecutive_failures=3
            )
        )
    first, later = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    store.mark_baselines(["a", "b"], first)
    store.mark_baselines(["a", "b"], later)
    assert store.baselined(["a", "b", "c"]) == {"a", "b"}
    with session_scope(engine) as session:
        health = {h.source_id: h for h in session.exec(select(SourceHealth))}
    a = health["a"]
    assert (a.state, a.reason, a.consecutive_failures) == ("failing", "503", 3)
    assert a.baseline_at is not None and a.baseline_at.replace(tzinfo=UTC) == first
    assert health["b"].state == "ok"


def test_health_alerts_go_to_the_health_channels(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    from crawler.alerts.channels import channels

    config = make_config(engine, http, smtp)
    CrawlStore(engine).sync_sources(SourceConfig.model_validate(s) for s in SOURCES)
    with session_scope(engine, write=True) as session:
        outbox.add_alert(
            session=session,
            rule="health",
            kind="health",
            dedupe_key="health:a:failing:1",
            channels=channels(config.health.notify),
            source_id="a",
            payload={
                "source_id": "a",
                "source_name": "a站",
                "state": "failing",
                "previous_state": "ok",
                "reason": "3 次失败",
            },
        )
    assert dispatch_due(engine, config).sent == 1
    [sent] = http.wait_for(1)
    assert sent.path == "/health" and "ok → failing" in sent.json()["message"]


def test_dispatch_loop_delivers_within_a_second(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    config = make_config(engine, http, smtp, alerts=[{"name": "r", "notify": [http.url()]}])
    loop = DispatchLoop(engine, config, interval=0.2)
    loop.start()
    try:
        stored = time.monotonic()
        crawl_store(engine, config, {"a"}).store_batch([(article(1, "a"), ())])
        [received] = http.wait_for(1, timeout=5)
        assert received.at - stored < 2.0
    finally:
        assert loop.stop(timeout=5)
    assert loop.total.sent == 1


def test_a_repost_of_a_story_first_seen_long_ago_does_not_alert(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    config = make_config(engine, http, smtp, alerts=[{"name": "r", "notify": [http.url()]}])
    now = datetime.now(UTC)
    silent = crawl_store(engine, config, baselined=set())  # the baseline crawls of c
    silent.store_batch([(article(1, "c", fetched_at=now - timedelta(days=30)), ())])
    silent.store_batch([(article(2, "c", fetched_at=now - timedelta(days=1)), ())])
    assert alerts_of(engine) == []
    store = crawl_store(engine, config, baselined={"a", "c"})
    store.store_batch([(article(1, "a", key="r1"), ()), (article(2, "a", key="r2"), ())])
    assert [a.payload["title"] for a in alerts_of(engine)] == [article_title(2)]


def test_concurrent_dispatchers_send_each_delivery_once(
    engine: Engine, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    import threading

    config = make_config(engine, http, smtp, alerts=[{"name": "r", "notify": [http.url()]}])
    crawl_store(engine, config, {"a"}).store_batch([(article(n, "a"), ()) for n in range(1, 13)])
    stories = {a.story_id for a in alerts_of(engine)}
    assert len(stories) == len(alerts_of(engine)) >= 2
    results: list[int] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait(timeout=10)
        results.append(dispatch_due(engine, config).sent)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(results) == len(stories)
    time.sleep(0.2)
    titles = [r.json()["title"] for r in http.received]
    assert len(titles) == len(set(titles)) == len(stories)
