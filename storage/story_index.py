"""The story index: stories, the MinHash/LSH tables, story assignments and the story listings.

Keyword-only ``session`` functions, like ``storage.queries``, leaving the transaction to the
caller; ``IN`` lists are sent in chunks of 500. Signatures arrive as bytes with their band keys
as ints: they are computed by the caller (``crawler.analyze.dedup``), and which articles form a
story is decided by the caller too (``crawler.analyze.stories``, applied by
``crawler.crawl.stories``). Reads no settings.

The index (``lsh_bands``, ``article_signatures``) and the assignments live in the database, so
they are shared by every crawler process and survive restarts. Assignment runs inside the write
transaction that stores the articles: on SQLite that transaction holds the database lock
(``BEGIN IMMEDIATE``); on PostgreSQL ``lock_assignment`` takes a transaction advisory lock, so
two processes storing reposts of one article at the same moment still give them one story.

Listings (``story_views``, read by the CLI's ``stories``, the API's ``/api/stories`` and the web
UI's story page) show stories newest first by their listing date: the earliest day among their
articles, an article counting by its stated publication day (``published_on``, the page's own
calendar day) or, when it states none, by the UTC day it was first fetched. Stories of one day
are newest first by first seen, then by id. The date is kept on the story row
(``Story.listing_date``, indexed with first seen and id, so a listing reads a few index entries
whatever the number of articles) and recomputed from the articles by ``refresh_listing_dates``,
which every write changing a story's articles or their dates calls: ``set_stories``,
``renumber_stories`` (rebuild), re-extraction and article deletion. A story without articles (one retired by ``stories
--rebuild``, see ``renumber_stories``) has no date and is never listed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Final, NamedTuple

from sqlalchemy import Date, Table, bindparam, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, SQLModel, col, select

from storage.models import Article, ArticleSignature, IndexEntry, LshBand, Story

ADVISORY_LOCK_KEY: Final = 0x66770001  # pg_advisory_xact_lock key of story assignment
CHUNK_SIZE: Final = 500


class StoryInput(NamedTuple):
    """What assigning a stored article to a story reads of it (``assignment_batches``)."""

    article_id: int
    content_hash: str
    text: str
    fetched_at: datetime
    relevant: bool | None
    event_name: str | None
    event_city: str | None
    event_start: date | None


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


class _UtcDay(FunctionElement[date]):
    """The UTC calendar day of a stored (UTC) datetime column, as a date."""

    type = Date()
    inherit_cache = True


@compiles(_UtcDay)
def _utc_day_sqlite(element: _UtcDay, compiler: Any, **kw: Any) -> str:
    # SQLite stores UTC datetimes as ISO text ("2025-01-01 08:00:00.000000"); date() is its day
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(_UtcDay, "postgresql")
def _utc_day_postgresql(element: _UtcDay, compiler: Any, **kw: Any) -> str:
    # timestamptz -> the UTC wall clock -> its date, whatever the session's time zone
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def _chunked(values: Sequence[Any], size: int = CHUNK_SIZE) -> list[Sequence[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


# -- assignment: what it looks up -------------------------------------------------------------


def lock_assignment(*, session: Session) -> None:
    """Serialize story assignment until the transaction ends (PostgreSQL; SQLite's write
    transaction already holds the database lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")


def assigned_by_hash(
    *, session: Session, hashes: Collection[str], exclude: Collection[int] = ()
) -> dict[str, tuple[int, int]]:
    """Content hash -> (article id, story id) of the earliest article with that hash that has a
    story, articles in ``exclude`` left out."""
    articles = _table(Article)
    found: dict[str, tuple[int, int]] = {}
    for chunk in _chunked(sorted(hashes)):
        rows = session.connection().execute(
            sa_select(articles.c.content_hash, articles.c.id, articles.c.story_id)
            .where(articles.c.content_hash.in_(chunk))
            .where(articles.c.story_id.is_not(None))
            .order_by(articles.c.id)
        )
        for digest, article_id, story_id in rows:
            if article_id not in exclude and digest not in found:
                found[digest] = (article_id, story_id)
    return found


def band_members(*, session: Session, band_keys: Collection[int]) -> dict[int, list[int]]:
    """Band key -> the indexed articles with that key."""
    bands = _table(LshBand)
    members: dict[int, list[int]] = {}
    for chunk in _chunked(sorted(band_keys)):
        rows = session.connection().execute(
            sa_select(bands.c.band_key, bands.c.article_id).where(bands.c.band_key.in_(chunk))
        )
        for key, article_id in rows:
            members.setdefault(key, []).append(article_id)
    return members


def assigned_signatures(
    *, session: Session, article_ids: Collection[int]
) -> dict[int, tuple[bytes, int, int]]:
    """Article id -> (signature, shingles, story id) of those of the articles that have a
    signature and a story."""
    signatures, articles = _table(ArticleSignature), _table(Article)
    found: dict[int, tuple[bytes, int, int]] = {}
    for chunk in _chunked(sorted(article_ids)):
        rows = session.connection().execute(
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
            found[article_id] = (bytes(blob), shingles, story_id)
    return found


def event_neighbours(
    *, session: Session, starts: tuple[date, date], exclude_story: int
) -> list[tuple[int, str | None, str | None]]:
    """(story id, event name, event city) of the assigned articles, in id order, whose event
    starts between ``starts`` (inclusive) and whose story is not ``exclude_story``."""
    articles = _table(Article)
    statement = (
        sa_select(articles.c.story_id, articles.c.event_name, articles.c.event_city)
        .where(articles.c.event_start.between(*starts))
        .where(articles.c.story_id.is_not(None))
        .where(articles.c.story_id != exclude_story)
        .order_by(articles.c.id)
    )
    return [(row[0], row[1], row[2]) for row in session.connection().execute(statement)]


# -- assignment: what it writes ---------------------------------------------------------------


def create_stories(*, session: Session, first_seen: Sequence[datetime]) -> list[int]:
    """Start one story per ``first_seen`` time; returns their ids, in order."""
    if not first_seen:
        return []
    stories = _table(Story)
    statement = stories.insert().returning(stories.c.id, sort_by_parameter_order=True)
    rows = [{"first_seen_at": seen} for seen in first_seen]
    return [int(row[0]) for row in session.connection().execute(statement, rows)]


def stories_of(connection: Connection, article_ids: Collection[int]) -> set[int]:
    """The stories that hold any of ``article_ids`` (one query; pass a batch-sized chunk)."""
    articles = _table(Article)
    owners = sa_select(articles.c.story_id).where(articles.c.id.in_(list(article_ids)))
    return {row[0] for row in connection.execute(owners) if row[0]}


def set_stories(*, session: Session, stories: Mapping[int, int]) -> None:
    """Put articles in stories: article id -> story id; the listing dates of the stories they
    join and of those they leave are recomputed."""
    if not stories:
        return
    articles = _table(Article)
    touched = set(stories.values())
    for chunk in _chunked(sorted(stories)):
        touched |= stories_of(session.connection(), chunk)
    statement = (
        update(articles)
        .where(articles.c.id == bindparam("_id"))
        .values(story_id=bindparam("_story"))
    )
    rows = [{"_id": article_id, "_story": story_id} for article_id, story_id in stories.items()]
    session.connection().execute(statement, rows)
    refresh_listing_dates(session=session, story_ids=touched)


def join_event(*, session: Session, story_id: int, other_story: int) -> int:
    """Put ``story_id`` in the event group of ``other_story`` (which starts one if it has none);
    a story already in another group brings that whole group along. Returns the group."""
    stories = _table(Story)
    group = _event_group(session, other_story)
    own = (
        session.connection()
        .execute(sa_select(stories.c.event_group).where(stories.c.id == story_id))
        .scalar()
    )
    target = stories.c.event_group == own if own is not None else stories.c.id == story_id
    session.connection().execute(update(stories).where(target).values(event_group=group))
    return group


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


# -- the index --------------------------------------------------------------------------------


def add_to_index(*, session: Session, entries: Sequence[IndexEntry]) -> None:
    """Add articles' signatures and band keys to the index."""
    if not entries:
        return
    connection = session.connection()
    connection.execute(
        _table(ArticleSignature).insert(),
        [
            {"article_id": e.article_id, "signature": e.signature, "shingles": e.shingles}
            for e in entries
        ],
    )
    rows = [
        {"band_key": key, "article_id": entry.article_id}
        for entry in entries
        # dict.fromkeys: one row per distinct key (the primary key is (band_key, article_id))
        for key in dict.fromkeys(entry.band_keys)
    ]
    connection.execute(_table(LshBand).insert(), rows)


def indexed_signatures(
    *, session: Session, article_ids: Collection[int]
) -> dict[int, tuple[bytes, int]]:
    """Article id -> (signature, shingles) of those of the articles in the index."""
    signatures = _table(ArticleSignature)
    found: dict[int, tuple[bytes, int]] = {}
    for chunk in _chunked(sorted(article_ids)):
        rows = session.connection().execute(
            sa_select(signatures.c.article_id, signatures.c.signature, signatures.c.shingles).where(
                signatures.c.article_id.in_(chunk)
            )
        )
        found.update((article_id, (bytes(blob), shingles)) for article_id, blob, shingles in rows)
    return found


def remove_from_index(*, session: Session, band_keys: Mapping[int, Sequence[int]]) -> None:
    """Forget the signatures and band keys of some articles: article id -> the band keys it is
    indexed under (of its stored signature, ``indexed_signatures``).

    Band rows are deleted by (band key, article): ``lsh_bands`` is keyed by band key first, so
    deleting by article id alone would scan the whole index.
    """
    if not band_keys:
        return
    connection = session.connection()
    bands, signatures = _table(LshBand), _table(ArticleSignature)
    rows = [
        {"_key": key, "_id": article_id}
        for article_id, keys in band_keys.items()
        for key in dict.fromkeys(keys)
    ]
    if rows:
        statement = (
            bands.delete()
            .where(bands.c.band_key == bindparam("_key"))
            .where(bands.c.article_id == bindparam("_id"))
        )
        connection.execute(statement, rows)
    for chunk in _chunked(sorted(band_keys)):
        connection.execute(signatures.delete().where(signatures.c.article_id.in_(chunk)))


def clear_assignments(*, session: Session) -> None:
    """Take every article out of its story and empty the index, keeping the story rows (with
    no event group) so ``renumber_stories`` can give their ids back after reassignment: while
    they stand, every story created is numbered above them, on SQLite too."""
    connection = session.connection()
    connection.execute(update(_table(Article)).values(story_id=None))
    connection.execute(update(_table(Story)).values(event_group=None))
    for model in (LshBand, ArticleSignature):
        connection.execute(_table(model).delete())


def story_members(*, session: Session) -> dict[int, list[int]]:
    """Story id -> its articles' ids (ascending), for every story with articles."""
    articles = _table(Article)
    statement = (
        sa_select(articles.c.story_id, articles.c.id)
        .where(articles.c.story_id.is_not(None))
        .order_by(articles.c.story_id, articles.c.id)
    )
    members: dict[int, list[int]] = {}
    for story_id, article_id in session.connection().execute(statement):
        members.setdefault(story_id, []).append(article_id)
    return members


def renumber_stories(*, session: Session, kept: Mapping[int, int]) -> None:
    """Give stories back the ids they keep: ``kept`` maps a story's new id to an existing
    (older) story id, whose row takes the new story's first-seen time, event group and
    articles; the new row is deleted. Event groups naming a new id name the kept id instead.

    The kept ids' rows must exist and hold no articles (``clear_assignments``), and every new
    id must be above every kept one. Story rows left without articles stay, empty and without
    an event group or listing date: their ids are never given to another story (SQLite would
    reuse the highest free id) and listings skip them. Every story's listing date is
    recomputed. No sequence is touched: every id in use was
    drawn from it, so later inserts get fresh ids on PostgreSQL and SQLite alike.
    """
    connection = session.connection()
    stories, articles = _table(Story), _table(Article)
    new_rows: dict[int, tuple[datetime, int | None]] = {}
    for chunk in _chunked(sorted(kept)):
        rows = connection.execute(
            sa_select(stories.c.id, stories.c.first_seen_at, stories.c.event_group).where(
                stories.c.id.in_(chunk)
            )
        )
        new_rows.update((row[0], (row[1], row[2])) for row in rows)
    if kept:
        taken = [
            {
                "_old": old,
                "_seen": seen,
                "_group": kept.get(group, group) if group is not None else None,
            }
            for new, old in kept.items()
            for seen, group in [new_rows[new]]
        ]
        connection.execute(
            update(stories)
            .where(stories.c.id == bindparam("_old"))
            .values(first_seen_at=bindparam("_seen"), event_group=bindparam("_group")),
            taken,
        )
        renames = [{"_new": new, "_old": old} for new, old in kept.items()]
        connection.execute(
            update(articles)
            .where(articles.c.story_id == bindparam("_new"))
            .values(story_id=bindparam("_old")),
            renames,
        )
        connection.execute(
            update(stories)
            .where(stories.c.event_group == bindparam("_new"))
            .values(event_group=bindparam("_old")),
            renames,
        )
        for chunk in _chunked(sorted(kept)):
            connection.execute(stories.delete().where(stories.c.id.in_(chunk)))
    has_articles = sa_select(articles.c.id).where(articles.c.story_id == stories.c.id).exists()
    connection.execute(
        update(stories)
        .where(stories.c.event_group.is_not(None))
        .where(~has_articles)
        .values(event_group=None)
    )
    refresh_listing_dates(session=session)


def assignment_batches(*, session: Session, batch_size: int = 500) -> Iterator[list[StoryInput]]:
    """Every stored article, in the order they were fetched, in batches (their texts are read a
    batch at a time); the caller may write between batches."""
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
        chunk = ids[start : start + batch_size]
        rows = session.connection().execute(sa_select(*columns).where(articles.c.id.in_(chunk)))
        by_id = {row[0]: StoryInput(*row) for row in rows}
        yield [by_id[article_id] for article_id in chunk]


# -- reading ----------------------------------------------------------------------------------


def _article_day() -> Any:
    """An article's day in listings, in SQL: its stated publication day, else its UTC fetch day."""
    articles = _table(Article)
    return func.coalesce(articles.c.published_on, _UtcDay(articles.c.fetched_at))


def refresh_listing_dates(*, session: Session, story_ids: Collection[int] | None = None) -> None:
    """Recompute ``Story.listing_date`` from the articles, of ``story_ids`` or (None) of every
    story; a story without articles gets None."""
    stories, articles = _table(Story), _table(Article)
    earliest = (
        sa_select(func.min(_article_day()))
        .where(articles.c.story_id == stories.c.id)
        .scalar_subquery()
    )
    statement = update(stories).values(listing_date=earliest)
    if story_ids is None:
        session.connection().execute(statement)
        return
    for chunk in _chunked(sorted(set(story_ids))):
        session.connection().execute(statement.where(stories.c.id.in_(chunk)))


def story_views(
    *,
    session: Session,
    since: date | None = None,
    limit: int = 50,
    story_ids: Sequence[int] = (),
    min_sources: int = 1,
) -> list[StoryView]:
    """Stories with articles, in listing order (newest first by listing date, then first seen,
    then id: see the module), each with its articles; ``since`` keeps those first seen on or
    after that (UTC) day, ``min_sources`` those carried by at least that many sources,
    ``story_ids`` those ids."""
    stories, articles = _table(Story), _table(Article)
    statement = sa_select(stories.c.id).where(stories.c.listing_date.is_not(None))
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
    statement = statement.order_by(
        stories.c.listing_date.desc(), stories.c.first_seen_at.desc(), stories.c.id.desc()
    ).limit(limit)
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
