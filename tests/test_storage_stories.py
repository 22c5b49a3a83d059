"""Stories on SQLite and PostgreSQL: reposts join one story, other articles don't, events link.

Articles are stored as a crawl stores them (``CrawlStore.store_batch``: ``storage.queries`` and
the assignment of ``crawler.crawl.stories``, one transaction); the story index
(``storage.story_index``) is also exercised alone, with plain bytes and ints.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from crawler.analyze.stories import likely_original
from crawler.config import SourceConfig
from crawler.crawl.store import CrawlStore
from crawler.crawl.stories import rebuild_stories, reindex
from storage import queries, story_index
from storage.db import make_engine, session_scope, upgrade_schema
from storage.models import (
    Article,
    ArticleSignature,
    ArticleUpdate,
    IndexEntry,
    LshBand,
    NewArticle,
    SourceRecord,
)
from storage.story_index import story_siblings, story_views
from tests.articles import new_article

SEEDS = Path(__file__).resolve().parent / "sites" / "seeds"  # copies of ../shared/seeds
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def article(
    key: str, text: str, *, source: str = "a", title: str = "标题", minutes: int = 0
) -> NewArticle:
    """An article as forumwatch stores it (normalized, analysed, signed), from its text."""
    entry = {"id": key, "title": title, "text": text, "published": "2024-11-04"}
    return new_article(entry, source, minutes)


def store(engine: Engine, *articles: NewArticle) -> list[int | None]:
    """Store articles (and assign their stories) as a crawl does."""
    crawl_store = CrawlStore(engine)
    crawl_store.sync_sources(
        SourceConfig(id=s, name=s, start_urls=[f"https://{s}.example/"]) for s in ("a", "b", "c")
    )
    return crawl_store.store_batch([(a, ()) for a in articles]).article_ids


def stories_of(engine: Engine) -> dict[str, int | None]:
    with session_scope(engine) as session:
        rows = session.exec(select(Article)).all()
        return {row.url.rsplit("/", 1)[1][:-5]: row.story_id for row in rows}


def repost_of(text: str) -> str:
    """A repost: reporter line added, the last paragraph dropped, an origin appended."""
    lines = text.strip().split("\n")
    return "\n".join(["记者 张三 通讯员 李四", *lines[:-1], "转自:人民资讯"])


def test_reposts_join_one_story_and_others_do_not(engine: Engine) -> None:
    text = seed("004")
    store(engine, article("orig", text, source="a"), article("other", seed("003"), source="a"))
    store(engine, article("copy", text, source="b", minutes=5))
    store(engine, article("repost", repost_of(text), source="c", minutes=9))
    found = stories_of(engine)
    assert found["orig"] == found["copy"] == found["repost"] is not None
    assert found["other"] not in (None, found["orig"])
    with session_scope(engine) as session:
        views = {view.story.id: view for view in story_views(session=session)}
        view = views[found["orig"]]
        assert view.sources == ["a", "b", "c"] and len(view.articles) == 3
        original = likely_original(view.articles)
        assert original is not None and original.url.endswith("/orig.html")
        assert view.earliest_published == date(2024, 11, 4)
        orig = session.exec(select(Article).where(Article.url.endswith("/orig.html"))).one()
        siblings = story_siblings(session=session, article=orig)
        assert sorted(s.url.rsplit("/", 1)[1] for s in siblings) == ["copy.html", "repost.html"]


def test_same_topic_different_articles_stay_apart(engine: Engine) -> None:
    store(engine, *(article(name, seed(name), minutes=i) for i, name in enumerate(["001", "002"])))
    found = stories_of(engine)
    assert found["001"] != found["002"]


def test_short_and_empty_texts_never_merge(engine: Engine) -> None:
    store(engine, article("e1", ""), article("e2", ""), article("s1", "会议召开。"))
    found = stories_of(engine)
    assert len({found["e1"], found["e2"], found["s1"]}) == 3


def test_index_survives_and_is_shared_by_another_engine(engine: Engine, db_url: str) -> None:
    store(engine, article("orig", seed("003")))
    other = make_engine(db_url)
    try:
        store(other, article("repost", repost_of(seed("003")), source="b", minutes=1))
    finally:
        other.dispose()
    found = stories_of(engine)
    assert found["orig"] == found["repost"]


def test_concurrent_writers_give_reposts_one_story(db_url: str) -> None:
    setup = make_engine(db_url)
    upgrade_schema(setup)
    store(setup, article("orig", seed("002")))
    setup.dispose()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        engine = make_engine(db_url)
        try:
            store(engine, article(f"r{n}", repost_of(seed("002")), source="b", minutes=n))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    check = make_engine(db_url)
    try:
        assert len(set(stories_of(check).values())) == 1
    finally:
        check.dispose()


def test_same_event_write_ups_are_linked(engine: Engine) -> None:
    first = article("portal", seed("001"), title="2021产城中国市长论坛在太原开幕")
    second = article(
        "agency",
        seed("002"),
        title="“产城融合•场景营城”——2021中博会•产城中国市长论坛成功举办",
        source="b",
        minutes=3,
    )
    assert first.relevant and second.relevant
    store(engine, first, second)
    found = stories_of(engine)
    assert found["portal"] != found["agency"]
    with session_scope(engine) as session:
        groups = {view.story.id: view.story.event_group for view in story_views(session=session)}
        assert groups[found["portal"]] == groups[found["agency"]] is not None
        portal = session.exec(select(Article).where(Article.url.endswith("/portal.html"))).one()
        assert [s.url for s in story_siblings(session=session, article=portal)] == [
            "http://b.example/agency.html"
        ]


def test_reindex_and_rebuild(engine: Engine) -> None:
    ids = store(engine, article("orig", seed("003")), article("other", seed("004"), minutes=1))
    store(engine, article("repost", repost_of(seed("003")), source="b", minutes=2))
    before = stories_of(engine)
    with session_scope(engine) as session:
        bands = len(session.exec(select(LshBand)).all())
    # re-extraction changes "other" into a copy of "orig": reindex, then rebuild regroups it
    changed = article("other", seed("003"), minutes=1)
    update = ArticleUpdate(
        id=ids[1], **changed.model_dump(include=set(ArticleUpdate.model_fields) - {"id"})
    )
    with session_scope(engine, write=True) as session:
        queries.update_extractions(session=session, updates=[update])
        assert reindex(session=session, updates=[update]) == 1
        assert len(session.exec(select(LshBand)).all()) <= bands
        # the same signatures again: nothing to re-index
        assert reindex(session=session, updates=[update]) == 0
    assert stories_of(engine) == before
    with session_scope(engine, write=True) as session:
        assert rebuild_stories(session=session) == 3
    after = stories_of(engine)
    assert after["orig"] == after["repost"] == after["other"]


def test_story_listing_is_newest_first(engine: Engine) -> None:
    texts = [seed(name) for name in ("001", "003", "004")]
    store(engine, *(article(f"n{i}", text, minutes=i) for i, text in enumerate(texts)))
    with session_scope(engine) as session:
        views = story_views(session=session)
        assert [v.articles[0].url.rsplit("/", 1)[1] for v in views] == [
            "n2.html",
            "n1.html",
            "n0.html",
        ]
        assert story_views(session=session, since=date(2030, 1, 1)) == []


def test_min_sources_keeps_stories_carried_by_several_sites(engine: Engine) -> None:
    store(engine, article("orig", seed("004")), article("other", seed("003"), minutes=1))
    store(engine, article("repost", repost_of(seed("004")), source="b", minutes=2))
    with session_scope(engine) as session:
        views = story_views(session=session, min_sources=2)
        assert [sorted(a.url.rsplit("/", 1)[1] for a in v.articles) for v in views] == [
            ["orig.html", "repost.html"]
        ]
        assert len(story_views(session=session)) == 2


def test_index_takes_plain_signatures_and_band_keys(engine: Engine) -> None:
    """storage alone: entries go in and come out as bytes and ints, removal finds them by key."""
    with session_scope(engine, write=True) as session:
        queries.sync_sources(session=session, sources=[SourceRecord("a", "a", ("u:a",))])
        ids = queries.store_articles(
            session=session, articles=[article(f"p{n}", seed("00" + str(n))) for n in (1, 2, 3)]
        )
        first, second, third = (i for i in ids if i is not None)
        stories = story_index.create_stories(session=session, first_seen=[T0, T0])
        story_index.set_stories(session=session, stories={first: stories[0], second: stories[1]})
        story_index.add_to_index(
            session=session,
            entries=[
                IndexEntry(first, b"\x01" * 8, 30, [11, 12, 12]),
                IndexEntry(second, b"\x02" * 8, 40, [12, -(2**63)]),
                IndexEntry(third, b"\x03" * 8, 50, [11]),
            ],
        )
        members = story_index.band_members(session=session, band_keys=[11, 12, -(2**63), 99])
        assert {key: sorted(found) for key, found in members.items()} == {
            11: [first, third],
            12: [first, second],
            -(2**63): [second],
        }
        # only articles with a story count as assigned
        assert story_index.assigned_signatures(session=session, article_ids=[first, third]) == {
            first: (b"\x01" * 8, 30, stories[0])
        }
        assert story_index.indexed_signatures(session=session, article_ids=[second, third]) == {
            second: (b"\x02" * 8, 40),
            third: (b"\x03" * 8, 50),
        }
        story_index.remove_from_index(session=session, band_keys={second: [12, -(2**63)]})
        assert sorted(session.exec(select(ArticleSignature.article_id)).all()) == [first, third]
        assert sorted(session.exec(select(LshBand.band_key)).all()) == [11, 11, 12]
