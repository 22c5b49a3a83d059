"""Stories: grouping each new article with the stored articles it reposts, in the database.

Keyword-only ``session`` functions, like ``storage.queries``. ``assign_stories`` runs inside the
write transaction that stores the articles, so the index (``lsh_bands``, ``article_signatures``)
and the assignments are shared by every crawler process and survive restarts. On SQLite the
write transaction holds the database lock (``BEGIN IMMEDIATE``); on PostgreSQL a transaction
advisory lock serializes assignment, so two processes storing reposts of one article at the same
moment still give them one story.

An article joins a story by, in order: the same normalized text (``content_hash``) as a stored
article; a near-duplicate found through the LSH bands and confirmed by the signatures
(``crawler.analyze.dedup.is_duplicate``); else it starts a story. A relevant article whose event (name,
start date) matches another story's links the two stories through ``event_group``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import Table, bindparam, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from crawler.analyze.dedup import Signature, band_keys, is_duplicate, signature
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
    """Give each new article a story and add it to the index; returns how each was assigned.

    A batch costs a handful of queries whatever its size: the exact-hash and band lookups for
    all its articles at once, then bulk writes. Articles of one batch also match each other.
    """
    if not candidates:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
    batch = _Batch(session, candidates)
    decided = [batch.decide(candidate) for candidate in candidates]
    story_ids = batch.create_stories(
        [c for c, (how, _, _) in zip(candidates, decided, strict=True) if how == "new"]
    )
    results: list[Assignment] = []
    for candidate, (how, target, similar) in zip(candidates, decided, strict=True):
        story_id = story_ids[candidate.article_id] if how == "new" else batch.stories[target]
        batch.stories[candidate.article_id] = story_id
        results.append(Assignment(candidate.article_id, story_id, how, similar))
    _set_stories(session, {r.article_id: r.story_id for r in results})
    _index_all(session, candidates, batch.keys)
    for candidate, result in zip(candidates, results, strict=True):
        if candidate.event_name and candidate.event_start:
            result.event_group = _link_event(session, result.story_id, candidate)
    return results


class _Batch:
    """What one batch's assignment knows: stored matches looked up at once, and the batch's own
    articles (hashes, band keys, signatures) so that they match each other too."""

    def __init__(self, session: Session, candidates: Sequence[StoryCandidate]) -> None:
        self.session = session
        self.stories: dict[int, int] = {}  # article id -> story id (stored and decided)
        self.hashes = self._stored_hashes(candidates)  # content hash -> article id
        self.keys = {c.article_id: band_keys(c.signature) for c in candidates if c.signature}
        self.band_members = self._stored_bands({k for keys in self.keys.values() for k in keys})
        self.signatures = self._stored_signatures()

    def decide(self, candidate: StoryCandidate) -> tuple[str, int, float | None]:
        """("exact" | "near", the article it joins, similarity) or ("new", its own id, None)."""
        if candidate.text_length >= MIN_EXACT_CHARS:
            match = self.hashes.get(candidate.content_hash)
            if match is not None and match != candidate.article_id:
                return "exact", match, 1.0
            self.hashes.setdefault(candidate.content_hash, candidate.article_id)
        signature = candidate.signature
        found: tuple[str, int, float | None] = ("new", candidate.article_id, None)
        if signature is not None:
            best = self._best_near(candidate.article_id, signature)
            if best is not None:
                found = ("near", best[1], best[0])
            self.signatures[candidate.article_id] = signature
            for key in self.keys[candidate.article_id]:
                self.band_members.setdefault(key, []).append(candidate.article_id)
        return found

    def _best_near(self, article_id: int, signature: Signature) -> tuple[float, int] | None:
        shared: dict[int, int] = {}
        for key in self.keys[article_id]:
            for member in self.band_members.get(key, ()):
                if member != article_id:
                    shared[member] = shared.get(member, 0) + 1
        ranked = sorted(shared, key=lambda member: (-shared[member], member))[:MAX_CANDIDATES]
        best: tuple[float, int] | None = None
        for member in ranked:
            other = self.signatures.get(member)
            if other is None:
                continue
            duplicate, similar = is_duplicate(signature, other)
            if duplicate and (best is None or (similar, -member) > (best[0], -best[1])):
                best = (similar, member)
        return best

    def create_stories(self, new: Sequence[StoryCandidate]) -> dict[int, int]:
        """One story per article that starts one: article id -> new story id."""
        if not new:
            return {}
        stories = _table(Story)
        statement = stories.insert().returning(stories.c.id, sort_by_parameter_order=True)
        rows = [{"first_seen_at": candidate.fetched_at} for candidate in new]
        ids = [row[0] for row in self.session.connection().execute(statement, rows)]
        return {candidate.article_id: int(i) for candidate, i in zip(new, ids, strict=True)}

    def _stored_hashes(self, candidates: Sequence[StoryCandidate]) -> dict[str, int]:
        wanted = {c.content_hash for c in candidates if c.text_length >= MIN_EXACT_CHARS}
        own = {c.article_id for c in candidates}
        articles = _table(Article)
        found: dict[str, int] = {}
        for chunk in _chunked(sorted(wanted)):
            rows = self.session.connection().execute(
                sa_select(articles.c.content_hash, articles.c.id, articles.c.story_id)
                .where(articles.c.content_hash.in_(chunk))
                .where(articles.c.story_id.is_not(None))
                .order_by(articles.c.id)
            )
            for digest, article_id, story_id in rows:
                if article_id not in own and digest not in found:
                    found[digest] = article_id
                    self.stories[article_id] = story_id
        return found

    def _stored_bands(self, keys: set[int]) -> dict[int, list[int]]:
        bands = _table(LshBand)
        members: dict[int, list[int]] = {}
        for chunk in _chunked(sorted(keys)):
            rows = self.session.connection().execute(
                sa_select(bands.c.band_key, bands.c.article_id).where(bands.c.band_key.in_(chunk))
            )
            for key, article_id in rows:
                members.setdefault(key, []).append(article_id)
        return members

    def _stored_signatures(self) -> dict[int, Signature]:
        """Signatures (and stories) of the stored articles that share a band with the batch."""
        wanted = sorted({member for members in self.band_members.values() for member in members})
        signatures, articles = _table(ArticleSignature), _table(Article)
        found: dict[int, Signature] = {}
        for chunk in _chunked(wanted):
            rows = self.session.connection().execute(
                sa_select(
                    signatures.c.article_id,
                    signatures.c.signature,
                    signatures.c.shingles,
                    articles.c.story_id,
                )
                .join_from(signatures, articles, articles.c.id == signatures.c.article_id)
                .where(signatures.c.article_id.in_(chunk))
                .where(articles.c.story_id.is_not(None))
            )
            for article_id, blob, shingles, story_id in rows:
                found[article_id] = Signature.from_bytes(blob, shingles)
                self.stories[article_id] = story_id
        return found


def _chunked(values: Sequence[Any], size: int = 500) -> list[Sequence[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _set_stories(session: Session, stories: dict[int, int]) -> None:
    articles = _table(Article)
    statement = (
        update(articles)
        .where(articles.c.id == bindparam("_id"))
        .values(story_id=bindparam("_story"))
    )
    rows = [{"_id": article_id, "_story": story_id} for article_id, story_id in stories.items()]
    session.connection().execute(statement, rows)


def _index_all(
    session: Session,
    candidates: Sequence[StoryCandidate],
    keys: Mapping[int, list[int]] | None = None,
) -> None:
    """Add signatures and band keys to the index (``keys``: band keys already computed, by
    article id)."""
    signed = [(c.article_id, c.signature) for c in candidates if c.signature is not None]
    if not signed:
        return
    connection = session.connection()
    connection.execute(
        _table(ArticleSignature).insert(),
        [
            {"article_id": article_id, "signature": sig.to_bytes(), "shingles": sig.shingles}
            for article_id, sig in signed
        ],
    )
    rows = [
        {"band_key": key, "article_id": article_id}
        for article_id, sig in signed
        # dict.fromkeys: one row per distinct key (the primary key is (band_key, article_id))
        for key in dict.fromkeys(keys[article_id] if keys else band_keys(sig))
    ]
    connection.execute(_table(LshBand).insert(), rows)


def reindex(*, session: Session, candidates: Sequence[StoryCandidate]) -> None:
    """Replace the index entries of re-extracted articles (their stories stay as they are;
    ``stories --rebuild`` reassigns every article)."""
    remove_from_index(session=session, article_ids=[c.article_id for c in candidates])
    _index_all(session, candidates)


def remove_from_index(*, session: Session, article_ids: Sequence[int]) -> None:
    """Forget the signatures and band keys of some articles (before re-indexing them).

    Band rows are found through the stored signatures' keys: ``lsh_bands`` is keyed by band
    key first, so deleting by article id alone would scan the whole index.
    """
    if not article_ids:
        return
    connection = session.connection()
    bands, signatures = _table(LshBand), _table(ArticleSignature)
    for chunk in _chunked(list(article_ids)):
        stored = connection.execute(
            sa_select(signatures.c.article_id, signatures.c.signature, signatures.c.shingles).where(
                signatures.c.article_id.in_(chunk)
            )
        ).all()
        rows = [
            {"_key": key, "_id": article_id}
            for article_id, blob, shingles in stored
            for key in band_keys(Signature.from_bytes(blob, shingles))
        ]
        if rows:
            statement = (
                bands.delete()
                .where(bands.c.band_key == bindparam("_key"))
                .where(bands.c.article_id == bindparam("_id"))
            )
            connection.execute(statement, rows)
        connection.execute(signatures.delete().where(signatures.c.article_id.in_(chunk)))


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
            own = (
                session.connection()
                .execute(sa_select(stories.c.event_group).where(stories.c.id == story_id))
                .scalar()
            )
            # a story already in another group brings that whole group along
            target = stories.c.event_group == own if own is not None else stories.c.id == story_id
            session.connection().execute(update(stories).where(target).values(event_group=group))
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
    *,
    session: Session,
    since: date | None = None,
    limit: int = 50,
    story_ids: Sequence[int] = (),
    min_sources: int = 1,
) -> list[StoryView]:
    """Stories, newest first (by first seen), each with its articles; ``min_sources`` keeps
    those carried by at least that many sources."""
    stories, articles = _table(Story), _table(Article)
    statement = sa_select(stories.c.id)
    if story_ids:
        statement = statement.where(stories.c.id.in_(list(story_ids)))
    if min_sources > 1:
        carried = (
            sa_select(func.count(func.distinct(articles.c.source_id)))
            .where(articles.c.story_id == stories.c.id)
            .scalar_subquery()
        )
        statement = statement.where(carried >= min_sources)
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
    order = sa_select(articles.c.id).order_by(articles.c.fetched_at, articles.c.id)
    ids = [row[0] for row in session.connection().execute(order)]
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]  # texts are read a batch at a time
        rows = session.connection().execute(sa_select(*columns).where(articles.c.id.in_(chunk)))
        by_id = {row[0]: row for row in rows}
        assign_stories(session=session, candidates=[_candidate_from_row(by_id[i]) for i in chunk])
    return len(ids)


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
