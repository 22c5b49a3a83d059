"""Atom feeds and saved searches as alert rules, on SQLite and PostgreSQL: feeds are valid Atom
(parsed back, required elements present), crawled text stays text, links only http(s); a saved
search with a channel alerts on a new matching article as the crawl stores it, the alert is
delivered for real to a local webhook, and the rule's feed lists the article."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from crawler.alerts.dispatch import dispatch_due
from crawler.alerts.outbox import ArticleAlerter
from crawler.alerts.rules import ArticleFacts
from crawler.alerts.searches import match_filters, match_query
from crawler.config import SourceConfig
from crawler.crawl.store import CrawlStore
from crawler.search.query import parse
from storage import search as store
from storage.db import session_scope
from storage.models import Alert, Article
from storage.search import ArticleFilter
from tests.alert_receivers import HttpReceiver
from tests.web_fixtures import (  # noqa: F401 (the web fixture)
    HOSTILE_TITLE,
    SOURCES,
    Web,
    article,
    text_of,
    web_fixture,
)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


def save(web: Web, **body: Any) -> dict[str, Any]:
    answer = web.client.post(
        "/api/saved-searches", json=body, headers={"Authorization": f"Bearer {web.admin}"}
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def parse_atom(body: bytes) -> ET.Element:
    """The feed element, after checking what RFC 4287 requires of a feed and its entries."""
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    for element in root.iter():
        assert element.tag.startswith(ATOM), element.tag  # no markup smuggled in from a title
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{required}") or "").strip(), required
        assert entry.find(f"{ATOM}title").get("type", "text") == "text"  # type: ignore[union-attr]
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "text"
        for link in entry.findall(f"{ATOM}link"):
            assert link.get("href", "").startswith(("http://", "https://"))
        datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")
    return root


def test_saved_search_feed_is_valid_atom_and_keeps_hostile_text_text(web: Web) -> None:
    saved = save(web, name="城投", query="城投", filters={"sources": ["a", "c"]})
    path = f"/feeds/search/{saved['id']}.xml"
    assert web.client.get(path).status_code == 401
    answer = web.client.get(path, params={"token": web.reader})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    assert b"<script" not in answer.content and b"<img" not in answer.content
    root = parse_atom(answer.content)
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    with session_scope(web.engine) as session:
        expected = store.newest_matches(
            session=session,
            clauses=parse("城投").clauses,
            filters=ArticleFilter(sources=("a", "c")),
        )
        assert titles == [a.title for a in expected] and HOSTILE_TITLE in titles
    hostile = next(
        e for e in root.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == HOSTILE_TITLE
    )
    assert hostile.findall(f"{ATOM}link") == []  # javascript: is no link
    assert "<img src=x onerror=alert(1)>" in (hostile.findtext(f"{ATOM}content") or "")
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and "token" not in self_link.get("href", "")
    assert web.get("/feeds/search/999.xml").status_code == 404
    assert web.get(path, token=web.admin).status_code == 200  # a header works too


def test_saved_search_rule_alerts_on_a_new_matching_article(web: Web, http: HttpReceiver) -> None:
    save(
        web,
        name="债务",
        query="城投 债务 -广告",
        filters={"sources": ["a", "b"]},
        notify=[http.url(path="/saved")],
    )
    assert web.get("/feeds/rule/search:债务.xml").status_code == 200  # known, nothing yet
    assert web.get("/feeds/rule/nothing.xml").status_code == 404
    # what a crawl does when it starts: the config's rules plus the saved searches'
    crawl = CrawlStore(web.engine)
    config = crawl.with_saved_searches(web.config)
    assert [rule.name for rule in config.alerts] == ["search:债务"]
    crawl.alerter = ArticleAlerter.for_crawl(config, baselined={"a", "b", "c"})
    crawl.sync_sources(SourceConfig.model_validate(s) for s in SOURCES)
    now = datetime.now(UTC)
    fresh = {"fetched_at": now, "published_on": now.date()}
    crawl.store_batch(
        [
            (
                article(
                    201, "a", "城投债务新规", text_of(201, "城投债务化解方案发布。"), None, **fresh
                ),
                [],
            ),
            (article(202, "c", "城投债务（丙站）", text_of(202, "城投债务。"), None, **fresh), []),
            (article(203, "b", "广告", text_of(203, "城投债务广告。"), None, **fresh), []),
            (article(204, "b", "旧闻", text_of(204, "城投债务。"), None), []),  # 2025: too old
        ]
    )
    with session_scope(web.engine) as session:
        alerts = list(session.exec(select(Alert)))
        assert [(a.rule, a.source_id, a.matched) for a in alerts] == [
            ("search:债务", "a", ["城投", "债务"])
        ]
        alerted = session.get(Article, alerts[0].article_id)
        assert alerted is not None and alerted.title == "城投债务新规"
    summary = dispatch_due(web.engine, web.config)  # the config alone: saved rules are found
    assert (summary.sent, summary.dead) == (1, 0)
    [hook] = http.wait_for(1)
    assert hook.path == "/saved" and "城投债务新规" in hook.json()["title"]
    listed = web.get("/api/alerts", rule="search:债务").json()
    assert [d["state"] for d in listed[0]["deliveries"]] == ["sent"]
    feed = parse_atom(web.get("/feeds/rule/search:债务.xml").content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["城投债务新规"]
    assert entries[0].find(f"{ATOM}link").get("href") == alerted.url  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "query",
    [
        "城投",
        "城投 论坛",
        '"城投论坛"',
        "城投 -转载",
        "新质生产力 OR 债务",
        "forum",
        "NOT 城投",
        "议题",
    ],
)
def test_saved_search_rules_match_as_search_finds(web: Web, query: str) -> None:
    """Over the whole corpus, a saved search's rule matches exactly the articles the search
    finds (the query, and each filter)."""
    filters = [
        ArticleFilter(),
        ArticleFilter(sources=("a",), relevant=True),
        ArticleFilter(tags=("gov",), since=datetime(2024, 4, 28).date()),
        ArticleFilter(languages=("en",)),
    ]
    parsed = parse(query)
    tags = {s["id"]: tuple(s.get("tags", ())) for s in SOURCES}
    with session_scope(web.engine) as session:
        articles = list(session.exec(select(Article)))
        for wanted in filters:
            found = store.search(session=session, clauses=parsed.clauses, filters=wanted, limit=500)
            matched = {
                a.id
                for a in articles
                if match_query(parsed, facts(a, tags[a.source_id])) is not None
                and match_filters(wanted, facts(a, tags[a.source_id]), a.story_id)
            }
            assert matched == {hit.article.id for hit in found}, (query, wanted)


def facts(a: Article, tags: tuple[str, ...]) -> ArticleFacts:
    return ArticleFacts(
        title=a.title,
        text=a.text,
        source_id=a.source_id,
        fetched_at=a.fetched_at,
        source_tags=tags,
        topics=tuple(a.topics or ()),
        relevant=a.relevant,
        flags=tuple(a.flags or ()),
        published_on=a.published_on,
        published_at=a.published_at,
        language=a.language,
    )
