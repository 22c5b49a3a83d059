"""Stories on SQLite and PostgreSQL: reposts join one story, other articles don't, events link.

Articles are stored as a crawl stores them (``CrawlStore.store_batch``: ``storage.queries`` and
the assignment of ``crawler.crawl.stories``, one transaction); the story index
(``storage.story_index``) is also exercised alone, with plain bytes and ints.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from crawler.analyze.stories import likely_original
from crawler.config import SourceConfig
from crawler.crawl.store import CrawlStore
from crawler.crawl.stories import rebuild_stories, reindex
from storage import queries, search, story_index
from storage.db import make_engine, session_scope, upgrade_schema
from storage.models import (
    Article,
    ArticleSignature,
    ArticleUpdate,
    IndexEntry,
    LshBand,
    NewArticle,
    SourceRecord,
    Story,
)
from storage.story_index import story_siblings, story_views
from tests.articles import FETCHED, new_article
from tests.web_fixtures import text_of

SEEDS = Path(__file__).resolve().parent / "sites" / "seeds"  # copies of ../shared/seeds
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def article(
    key: str,
    text: str,
    *,
    source: str = "a",
    title: str = "标题",
    minutes: int = 0,
    published: str | None = "2024-11-04",
) -> NewArticle:
    """An article as forumwatch stores it (normalized, analysed, signed), from its text,
    fetched ``minutes`` after ``FETCHED``."""
    entry = {"id": key, "title": title, "text": text, "published": published}
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


# -- listing order: newest first by the story's earliest publication day ----------------------


def listed(views: list[story_index.StoryView]) -> list[str]:
    """Each listed story by the key of its first stored article."""
    return [view.articles[0].url.rsplit("/", 1)[1][:-5] for view in views]


def test_stories_list_by_earliest_publication_day_then_first_seen(engine: Engine) -> None:
    lead = text_of(1, "城市更新论坛举行。")
    store(
        engine,
        # first seen, but published after "late" (seen later): lists before it
        article("early_seen", text_of(2, "规划年会召开。"), minutes=0, published="2024-01-10"),
        article("tie1", text_of(3, "市长论坛开幕。"), minutes=1, published="2024-03-01"),
        article("tie2", text_of(4, "城投峰会举办。"), minutes=2, published="2024-03-01"),
        article("undated", text_of(5, "产业大会闭幕。"), minutes=3, published=None),
        article("lead", lead, minutes=4, published="2024-05-01"),
        article("late", text_of(6, "旧改研讨会召开。"), minutes=5, published="2023-06-01"),
    )
    # a repost dated earlier than its story's first article moves the story down
    store(engine, article("lead_copy", lead, source="b", minutes=6, published="2022-01-01"))
    with session_scope(engine) as session:
        views = story_views(session=session)
        # the undated article counts by the day it was fetched (FETCHED's, 2025-01-01)
        assert listed(views) == ["undated", "tie2", "tie1", "early_seen", "late", "lead"]
        assert [v.story.listing_date for v in views] == [
            FETCHED.date(),
            date(2024, 3, 1),
            date(2024, 3, 1),
            date(2024, 1, 10),
            date(2023, 6, 1),
            date(2022, 1, 1),
        ]
        # the order is the query's, not a sort of what a limit kept
        assert listed(story_views(session=session, limit=2)) == ["undated", "tie2"]
        assert listed(story_views(session=session, min_sources=2)) == ["lead"]


def test_an_undated_article_counts_by_its_utc_fetch_day(engine: Engine) -> None:
    """Fetched 23:30 UTC on 31 December (already 1 January in Beijing): it counts as 31
    December, so a story of that day seen later lists before it, whatever the session's zone."""
    evening = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    undated = article("undated", text_of(7, "论坛筹备会召开。"), published=None)
    dated = article("dated", text_of(8, "论坛新闻发布会举行。"), published="2024-12-31")
    store(
        engine,
        undated.model_copy(update={"fetched_at": evening}),
        dated.model_copy(update={"fetched_at": evening + timedelta(hours=1)}),
    )
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.connection().exec_driver_sql("SET TIME ZONE 'Asia/Shanghai'")
        views = story_views(session=session)
        assert listed(views) == ["dated", "undated"]
        assert {v.story.listing_date for v in views} == {date(2024, 12, 31)}


# -- rebuild: story ids survive ----------------------------------------------------------------


def story_rows(engine: Engine) -> dict[int, Story]:
    with session_scope(engine) as session:
        return {row.id: row for row in session.exec(select(Story)).all() if row.id is not None}


def rebuild(engine: Engine) -> None:
    with session_scope(engine, write=True) as session:
        rebuild_stories(session=session, batch_size=2)  # batches of 2: ids from several inserts


def reextract(engine: Engine, article_id: int | None, changed: NewArticle) -> None:
    """Give a stored article another text, as ``reextract`` does."""
    assert article_id is not None
    fields = changed.model_dump(include=set(ArticleUpdate.model_fields) - {"id"})
    update = ArticleUpdate(id=article_id, **fields)
    with session_scope(engine, write=True) as session:
        queries.update_extractions(session=session, updates=[update])
        reindex(session=session, updates=[update])


def test_rebuild_keeps_the_ids_of_unchanged_stories_and_new_stories_get_fresh_ones(
    engine: Engine,
) -> None:
    store(engine, article("orig", seed("003")), article("other", seed("004"), minutes=1))
    store(engine, article("repost", repost_of(seed("003")), source="b", minutes=2))
    store(engine, article("third", seed("000"), minutes=3))
    before, rows_before = stories_of(engine), story_rows(engine)
    rebuild(engine)
    assert stories_of(engine) == before
    rows_after = story_rows(engine)
    assert set(rows_after) == set(rows_before)
    for story_id, row in rows_after.items():
        assert row.first_seen_at == rows_before[story_id].first_seen_at
    # a new story after the rebuild gets an id no story had (the sequence was not overtaken)
    store(engine, article("fresh", text_of(9, "新城建设论坛召开。"), minutes=10))
    fresh = stories_of(engine)["fresh"]
    assert fresh is not None and fresh not in rows_before
    with session_scope(engine) as session:
        assert len(story_views(session=session)) == 4


def test_a_split_story_keeps_its_id_on_its_larger_part(engine: Engine) -> None:
    text = seed("004")
    ids = store(engine, article("orig", text), article("copy", text, source="b", minutes=1))
    store(engine, article("repost", repost_of(text), source="c", minutes=2))
    story = stories_of(engine)["orig"]
    rows_before = story_rows(engine)
    # re-extraction makes "orig" another article: the story splits, 2 articles stay together
    reextract(engine, ids[0], article("orig", text_of(10, "园区论坛召开。")))
    rebuild(engine)
    after = stories_of(engine)
    assert after["copy"] == after["repost"] == story
    assert after["orig"] not in (None, story, *rows_before)
    # the kept story's first seen is now its first remaining article's fetch time
    assert story_rows(engine)[story].first_seen_at == FETCHED + timedelta(minutes=1)
    store(engine, article("fresh", text_of(11, "智慧城市论坛开幕。"), minutes=10))
    assert stories_of(engine)["fresh"] not in (*rows_before, after["orig"])


def test_merged_stories_keep_the_oldest_id_and_the_other_is_retired(engine: Engine) -> None:
    ids = store(engine, article("first", seed("003")))
    text = seed("004")
    store(engine, article("big", text, source="b", minutes=1))
    store(engine, article("big_copy", text, source="c", minutes=2))
    before = stories_of(engine)
    oldest, newer = before["first"], before["big"]
    assert oldest is not None and newer is not None and oldest < newer
    # "first" becomes a copy of the larger, newer story: they merge under the oldest id
    reextract(engine, ids[0], article("first", text))
    rebuild(engine)
    after = stories_of(engine)
    assert after["first"] == after["big"] == after["big_copy"] == oldest
    with session_scope(engine) as session:
        assert [v.story.id for v in story_views(session=session)] == [oldest]
        # the retired id names no story: not listed, not found, never given again
        assert story_views(session=session, story_ids=[newer]) == []
    store(engine, article("fresh", text_of(12, "新区论坛召开。"), minutes=10))
    assert stories_of(engine)["fresh"] not in (oldest, newer)


def test_rebuild_keeps_event_groups_on_kept_ids(engine: Engine) -> None:
    first = article("portal", seed("001"), title="2021产城中国市长论坛在太原开幕")
    second = article(
        "agency",
        seed("002"),
        title="“产城融合•场景营城”——2021中博会•产城中国市长论坛成功举办",
        source="b",
        minutes=3,
    )
    store(engine, first, second)
    before, rows_before = stories_of(engine), story_rows(engine)
    rebuild(engine)
    assert stories_of(engine) == before
    rows = story_rows(engine)
    group = rows[before["portal"] or 0].event_group
    assert group == rows[before["agency"] or 0].event_group == rows_before[group or 0].event_group
    assert group in (before["portal"], before["agency"])


def test_listing_follows_reextracted_dates_and_deleted_articles(engine: Engine) -> None:
    text = text_of(13, "城市规划论坛召开。")
    ids = store(
        engine,
        article("a", text_of(14, "产城融合大会举行。"), published="2024-01-01"),
        article("b", text, minutes=1, published="2024-06-01"),
        article("b_copy", text, source="b", minutes=2, published="2024-09-01"),
    )

    def order() -> list[str]:
        with session_scope(engine) as session:
            return listed(story_views(session=session))

    assert order() == ["b", "a"]
    # re-extraction finds another date for "a": its story moves up
    reextract(
        engine, ids[0], article("a", text_of(14, "产城融合大会举行。"), published="2024-08-01")
    )
    assert order() == ["a", "b"]
    # b's earliest article deleted: its story now counts by its copy's date
    with session_scope(engine, write=True) as session:
        assert search.delete_articles(session=session, article_ids=[ids[1] or 0]) == 1
    assert order() == ["b_copy", "a"]
    with session_scope(engine, write=True) as session:
        search.delete_articles(session=session, article_ids=[ids[2] or 0])
    assert order() == ["a"]
