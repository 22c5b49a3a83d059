"""Stories: grouping each new article with the stored articles it reposts, in the database.

Keyword-only ``session`` functions, like ``storage.queries``. ``assign_stories`` runs inside the
write transaction that stores the articles, so the index (``lsh_bands``, ``article_signatures``)
and the assignments are shared by every crawler process and survive restarts. On SQLite the
write transaction holds the database lock (``BEGIN IMMEDIATE``); on PostgreSQL a transaction
advisory lock serializes assignment, so two processes storing reposts of one article at the same
moment still give them one story.

An article joins a story by, in order: the same normalized text (``content_hash``) as a stored
article; a near-duplicate found through the LSH bands and confirmed by the signatures
(``crawler.dedup.is_duplicate``); else it starts a story. A relevant article whose event (name,
start date) matches another story's links the two stories through ``event_group``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import Table, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from crawler.dedup import Signature, band_keys, is_duplicate, signature
from storage.models import Article, ArticleSignature, LshBand, Story

ADVISORY_LOCK_KEY: Final = 0x66770001  # pg_advisory_xact_lock key of story assignment
MAX_CANDIDATES: Final = 50  # candidates confirmed per article (most shared bands first)
MIN_EXACT_CHARS: Final = 50  # shorter texts never join by exact hash (empty pages would)
EVENT_DAYS: Final = 1  # event start dates this close are one event
EVENT_NAME_SHARE: Final = 0.6


@dataclass
class StoryCandidate:
    """What assignment needs of an article: its id, text key, signature and event."""

    article_id: int
    content_hash: str
    text_length: int
    signature: Signature | None
    fetched_at: datetime
    event_name: str | None = None
    event_city: str | None = None
    event_start: date | None = None


@dataclass
class Assignment:
    """How an article got its story."""

    article_id: int
    story_id: int
    how: str  # "exact", "near" or "new"
    similarity: float | None = None
    event_group: int | None = None


@dataclass
class StoryView:
    """A story as listings show it."""

    story: Story
    articles: list[Article] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({article.source_id for article in self.articles})

    @property
    def earliest_published(self) -> date | None:
        dates = [a.published_on for a in self.articles if a.published_on is not None]
        return min(dates) if dates else None

    @property
    def original(self) -> Article | None:
        return likely_original(self.articles)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def assign_stories(*, session: Session, candidates: Sequence[StoryCandidate]) -> list[Assignment]:
    """Give each new article a story and add it to the index; returns how each was assigned."""
    if not candidates:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
    results: list[Assignment] = []
    for candidate in candidates:
        assignment = _exact(session, candidate) or _near(session, candidate)
        if assignment is None:
            assignment = Assignment(candidate.article_id, _new_story(session, candidate), "new")
        _set_story(session, candidate.article_id, assignment.story_id)
        _index(session, candidate)
        if candidate.event_name and candidate.event_start:
            assignment.event_group = _link_event(session, assignment.story_id, candidate)
        results.append(assignment)
    return results


def _exact(session: Session, candidate: StoryCandidate) -> Assignment | None:
    if candidate.text_length < MIN_EXACT_CHARS:
        return None
    articles = _table(Article)
    statement = (
        sa_select(articles.c.story_id)
        .where(articles.c.content_hash == candidate.content_hash)
        .where(articles.c.id != candidate.article_id)
        .where(articles.c.story_id.is_not(None))
        .order_by(articles.c.id)
        .limit(1)
    )
    story_id = session.connection().execute(statement).scalar()
    return Assignment(candidate.article_id, story_id, "exact", 1.0) if story_id else None


def _near(session: Session, candidate: StoryCandidate) -> Assignment | None:
    signature = candidate.signature
    if signature is None:
        return None
    bands, signatures = _table(LshBand), _table(ArticleSignature)
    shared = func.count().label("shared")
    rows = (
        session.connection()
        .execute(
            sa_select(bands.c.article_id, shared)
            .where(bands.c.band_key.in_(band_keys(signature)))
            .where(bands.c.article_id != candidate.article_id)
            .group_by(bands.c.article_id)
            .order_by(shared.desc(), bands.c.article_id)
            .limit(MAX_CANDIDATES)
        )
        .all()
    )
    if not rows:
        return None
    found = session.connection().execute(
        sa_select(signatures.c.article_id, signatures.c.signature, signatures.c.shingles).where(
            signatures.c.article_id.in_([row[0] for row in rows])
        )
    )
    best: tuple[float, int] | None = None
    for article_id, blob, shingles in found:
        duplicate, similar = is_duplicate(signature, Signature.from_bytes(blob, shingles))
        if duplicate and (best is None or (similar, -article_id) > (best[0], -best[1])):
            best = (similar, article_id)
    if best is None:
        return None
    story_id = _story_of(session, best[1])
    return Assignment(candidate.article_id, story_id, "near", best[0]) if story_id else None


def _story_of(session: Session, article_id: int) -> int | None:
    articles = _table(Article)
    statement = sa_select(articles.c.story_id).where(articles.c.id == article_id)
    value = session.connection().execute(statement).scalar()
    return int(value) if value is not None else None


def _new_story(session: Session, candidate: StoryCandidate) -> int:
    stories = _table(Story)
    statement = stories.insert().values(first_seen_at=candidate.fetched_at).returning(stories.c.id)
    return int(session.connection().execute(statement).scalar_one())


def _set_story(session: Session, article_id: int, story_id: int) -> None:
    articles = _table(Article)
    session.connection().execute(
        update(articles).where(articles.c.id == article_id).values(story_id=story_id)
    )


def _index(session: Session, candidate: StoryCandidate, *, replace: bool = False) -> None:
    """Add the article's signature and band keys to the index (``replace``: drop old ones)."""
    if replace:
        remove_from_index(session=session, article_ids=[candidate.article_id])
    signature = candidate.signature
    if signature is None:
        return
    connection = session.connection()
    connection.execute(
        _table(ArticleSignature).insert(),
        [
            {
                "article_id": candidate.article_id,
                "signature": signature.to_bytes(),
                "shingles": signature.shingles,
            }
        ],
    )
    rows = [{"band_key": key, "article_id": candidate.article_id} for key in band_keys(signature)]
    connection.execute(_table(LshBand).insert(), _unique_rows(rows))


def _unique_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[int] = set()
    unique = []
    for row in rows:
        if row["band_key"] not in seen:
            seen.add(row["band_key"])
            unique.append(row)
    return unique


def reindex(*, session: Session, candidates: Sequence[StoryCandidate]) -> None:
    """Replace the index entries of re-extracted articles (their stories stay as they are;
    ``stories --rebuild`` reassigns every article)."""
    for candidate in candidates:
        _index(session, candidate, replace=True)


def remove_from_index(*, session: Session, article_ids: Sequence[int]) -> None:
    """Forget the signatures and band keys of some articles (before re-indexing them).

    Band rows are found through the stored signature's keys: ``lsh_bands`` is keyed by band
    key first, so deleting by article id alone would scan the whole index.
    """
    if not article_ids:
        return
    connection = session.connection()
    bands, signatures = _table(LshBand), _table(ArticleSignature)
    stored = connection.execute(
        sa_select(signatures.c.article_id, signatures.c.signature, signatures.c.shingles).where(
            signatures.c.article_id.in_(list(article_ids))
        )
    ).all()
    for article_id, blob, shingles in stored:
        keys = band_keys(Signature.from_bytes(blob, shingles))
        connection.execute(
            bands.delete().where(bands.c.band_key.in_(keys)).where(bands.c.article_id == article_id)
        )
    connection.execute(signatures.delete().where(signatures.c.article_id.in_(list(article_ids))))


def _link_event(session: Session, story_id: int, candidate: StoryCandidate) -> int | None:
    """Link the story to other stories of the same event; returns the event group."""
    assert candidate.event_start is not None and candidate.event_name is not None
    articles, stories = _table(Article), _table(Story)
    window = timedelta(days=EVENT_DAYS)
    rows = (
        session.connection()
        .execute(
            sa_select(articles.c.story_id, articles.c.event_name, articles.c.event_city)
            .where(
                articles.c.event_start.between(
                    candidate.event_start - window, candidate.event_start + window
                )
            )
            .where(articles.c.story_id.is_not(None))
            .where(articles.c.story_id != story_id)
            .order_by(articles.c.id)
        )
        .all()
    )
    for other_story, name, city in rows:
        if _same_event(candidate.event_name, candidate.event_city, name, city):
            group = _event_group(session, other_story)
            session.connection().execute(
                update(stories).where(stories.c.id == story_id).values(event_group=group)
            )
            return group
    return None


def _event_group(session: Session, story_id: int) -> int:
    stories = _table(Story)
    statement = sa_select(stories.c.event_group).where(stories.c.id == story_id)
    group = session.connection().execute(statement).scalar()
    if group is None:
        session.connection().execute(
            update(stories).where(stories.c.id == story_id).values(event_group=story_id)
        )
        return story_id
    return int(group)


def _same_event(name: str, city: str | None, other: str | None, other_city: str | None) -> bool:
    """Event names that mostly share their characters, in the same city when both say one."""
    if not other or (city and other_city and city != other_city):
        return False
    core, other_core = _event_core(name), _event_core(other)
    if not core or not other_core:
        return False
    shorter, longer = sorted((core, other_core), key=len)
    shared = sum(1 for char in set(shorter) if char in longer)
    return shared >= EVENT_NAME_SHARE * len(set(shorter))


def _event_core(name: str) -> str:
    """An event name without its year, edition and punctuation (``2021中博会•产城中国市长论坛``
    -> ``中博会产城中国市长论坛``)."""
    name = re.sub(r"(?:19|20)\d{2}年?度?|第[一二三四五六七八九十百零〇\d]+届|首届", "", name)
    return re.sub(r"[\W_]+", "", name)


def likely_original(articles: Sequence[Article]) -> Article | None:
    """The story's likely original: an article that states no other origin (not a repost),
    earliest published, then earliest fetched."""
    if not articles:
        return None

    def rank(article: Article) -> tuple[int, date, datetime, int]:
        repost = "repost" in (article.flags or [])
        published = article.published_on or date.max
        return (repost, published, article.fetched_at, article.id or 0)

    return min(articles, key=rank)


def story_views(
    *, session: Session, since: date | None = None, limit: int = 50, story_ids: Sequence[int] = ()
) -> list[StoryView]:
    """Stories, newest first (by first seen), each with its articles."""
    stories = _table(Story)
    statement = sa_select(stories.c.id)
    if story_ids:
        statement = statement.where(stories.c.id.in_(list(story_ids)))
    if since is not None:
        start = datetime.combine(since, time(), tzinfo=UTC)
        statement = statement.where(stories.c.first_seen_at >= start)
    statement = statement.order_by(stories.c.first_seen_at.desc(), stories.c.id.desc()).limit(limit)
    ids = [row[0] for row in session.connection().execute(statement)]
    if not ids:
        return []
    rows = session.exec(select(Story).where(col(Story.id).in_(ids))).all()
    views = {story.id: StoryView(story) for story in rows}
    members = session.exec(
        select(Article).where(col(Article.story_id).in_(ids)).order_by(col(Article.id))
    ).all()
    for article in members:
        if article.story_id in views:
            views[article.story_id].articles.append(article)
    return [views[story_id] for story_id in ids if story_id in views]


def story_siblings(*, session: Session, article: Article) -> list[Article]:
    """The other articles of an article's story (and of stories of the same event)."""
    if article.story_id is None:
        return []
    story = session.get(Story, article.story_id)
    story_ids = [article.story_id]
    if story is not None and story.event_group is not None:
        linked = session.exec(select(Story.id).where(Story.event_group == story.event_group)).all()
        story_ids = sorted({*story_ids, *(i for i in linked if i is not None)})
    statement = (
        select(Article)
        .where(col(Article.story_id).in_(story_ids))
        .where(Article.id != article.id)
        .order_by(col(Article.id))
    )
    return list(session.exec(statement).all())


def reset_stories(*, session: Session) -> None:
    """Forget every story and the index."""
    connection = session.connection()
    articles = _table(Article)
    connection.execute(update(articles).values(story_id=None))
    for model in (LshBand, ArticleSignature, Story):
        connection.execute(_table(model).delete())


def rebuild_stories(*, session: Session, batch_size: int = 500) -> int:
    """Forget every story and assign every article again, in the order they were fetched
    (after ``reextract`` changed texts, or a change of the dedup parameters)."""
    reset_stories(session=session)
    articles = _table(Article)
    columns = (
        articles.c.id,
        articles.c.content_hash,
        articles.c.text,
        articles.c.fetched_at,
        articles.c.relevant,
        articles.c.event_name,
        articles.c.event_city,
        articles.c.event_start,
    )
    statement = sa_select(*columns).order_by(articles.c.fetched_at, articles.c.id)
    rows = session.connection().execute(statement).all()
    for start in range(0, len(rows), batch_size):
        assign_stories(
            session=session,
            candidates=[_candidate_from_row(row) for row in rows[start : start + batch_size]],
        )
    return len(rows)


def _candidate_from_row(row: Any) -> StoryCandidate:
    article_id, digest, text, fetched_at, relevant, name, city, start = row
    return StoryCandidate(
        article_id=article_id,
        content_hash=digest,
        text_length=len(text),
        signature=signature(text),
        fetched_at=fetched_at,
        event_name=name if relevant else None,
        event_city=city,
        event_start=start,
    )
