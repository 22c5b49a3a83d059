"""Every read and write forumwatch makes, one function each, on SQLite and PostgreSQL alike.

Each function takes a keyword-only ``session`` and leaves the transaction to the caller
(``storage.db.session_scope``; pass ``write=True`` for the writing ones). Bulk writes go through
Core statements on the session's connection; idempotent inserts use the dialect's
``INSERT ... ON CONFLICT DO NOTHING`` (never ``INSERT OR IGNORE``, which also hides NOT NULL
violations). ``IN`` lists are sent in chunks of 500. Callers hand plain records
(``storage.models``: ``SourceRecord``, ``NewArticle``, ``UrlRecord`` ...); the story index and
its tables are ``storage.story_index``. Reads no settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, literal_column, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from storage import search, story_index
from storage.db import dialect_insert
from storage.models import (
    MAX_RUN_ERRORS,
    PROTECTED_URL_STATES,
    RUN_COUNTERS,
    RUN_STATUSES,
    URL_STATES,
    WALK_ENDS,
    Article,
    ArticleBase,
    ArticleContent,
    ArticleHtml,
    ArticleUpdate,
    Attachment,
    AttachmentBase,
    CrawledUrl,
    CrawlRun,
    NewArticle,
    NewAttachment,
    Source,
    SourceOverview,
    SourceRecord,
    SourceWalk,
    UrlRecord,
    utcnow,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE: Final = 500
RETRY_BASE: Final = timedelta(hours=1)
RETRY_CAP: Final = timedelta(days=7)

# model_dump(include=...) wants a set; these are never mutated.
_ARTICLE_FIELDS: Final = set(ArticleBase.model_fields)
_ATTACHMENT_FIELDS: Final = set(AttachmentBase.model_fields)
_CONTENT_FIELDS: Final = set(ArticleContent.model_fields)

_T = TypeVar("_T")
HtmlRow = tuple[int, str, str, bytes, str | None, datetime]


# -- helpers ---------------------------------------------------------------------------------


def _chunks(items: Sequence[_T], size: int = CHUNK_SIZE) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def _insert(session: Session, model: type[SQLModel]) -> Any:
    """The dialect's INSERT for ``model`` (the one with ``on_conflict_*``)."""
    return dialect_insert(session, model)


# -- sources and runs ------------------------------------------------------------------------


def sync_sources(*, session: Session, sources: Iterable[SourceRecord]) -> None:
    """Insert configured sources that are new and update those whose fields changed."""
    now = utcnow()
    existing = {source.id: source for source in session.exec(select(Source)).all()}
    new_rows: list[dict[str, Any]] = []
    for record in sources:
        fields = {
            "name": record.name,
            "start_urls": list(record.start_urls),
            "tags": list(record.tags),
        }
        current = existing.get(record.id)
        if current is None:
            new_rows.append({"id": record.id, **fields, "created_at": now, "updated_at": now})
        elif fields != {name: getattr(current, name) for name in fields}:
            current.sqlmodel_update({**fields, "updated_at": now})
            session.add(current)
    session.flush()
    if new_rows:
        # DO NOTHING: another process may be inserting the same new source right now.
        statement = _insert(session, Source).on_conflict_do_nothing(index_elements=["id"])
        session.connection().execute(statement, new_rows)


def abandon_stale_runs(
    *,
    session: Session,
    source_ids: Sequence[str],
    started_before: datetime,
    except_host: str | None = None,
) -> int:
    """Mark runs still 'running' that began before ``started_before`` as 'interrupted' (their
    process was killed and never finished them); returns how many.

    Runs that record a process on ``except_host`` are left alone: on that host whether the
    process still runs is known (``running_runs``), so a long crawl is not cut short.
    """
    runs = _table(CrawlRun)
    statement = (
        update(runs)
        .where(runs.c.status == "running")
        .where(runs.c.started_at < started_before)
        .where(runs.c.source_id.in_(list(source_ids)))
        .values(status="interrupted", finished_at=utcnow())
    )
    if except_host is not None:
        statement = statement.where(
            or_(runs.c.host.is_(None), runs.c.host != except_host, runs.c.pid.is_(None))
        )
    return int(session.connection().execute(statement).rowcount or 0)


def running_runs(*, session: Session, host: str) -> list[tuple[int, int, str | None]]:
    """(run id, pid, process start) of every run, of any source, still 'running' on ``host``."""
    runs = _table(CrawlRun)
    statement = sa_select(runs.c.id, runs.c.pid, runs.c.process_start).where(
        runs.c.status == "running", runs.c.host == host, runs.c.pid.is_not(None)
    )
    return [(row[0], row[1], row[2]) for row in session.connection().execute(statement)]


def interrupt_runs(*, session: Session, run_ids: Sequence[int]) -> int:
    """Mark these runs 'interrupted' if they are still 'running'; returns how many."""
    runs = _table(CrawlRun)
    changed = 0
    for chunk in _chunks(list(run_ids)):
        statement = (
            update(runs)
            .where(runs.c.id.in_(list(chunk)), runs.c.status == "running")
            .values(status="interrupted", finished_at=utcnow())
        )
        changed += int(session.connection().execute(statement).rowcount or 0)
    return changed


def start_run(
    *,
    session: Session,
    source_id: str,
    host: str | None = None,
    pid: int | None = None,
    process_start: str | None = None,
) -> int:
    """Open a crawl run for ``source_id`` in state 'running'; returns its id.

    ``host``, ``pid`` and ``process_start`` name the crawl process (see ``running_runs``).
    """
    run = CrawlRun(
        source_id=source_id,
        started_at=utcnow(),
        status="running",
        host=host,
        pid=pid,
        process_start=process_start,
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    return run.id


def finish_run(
    *,
    session: Session,
    run_id: int,
    status: str,
    counts: Mapping[str, int],
    errors: Sequence[Mapping[str, str]],
) -> None:
    """Close a crawl run with its status, counters and at most 50 errors.

    The counters named by ``RUN_COUNTERS`` fill their columns; all of them, those included, are
    kept by name in ``counts``.
    """
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}; expected one of {sorted(RUN_STATUSES)}")
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"no crawl run {run_id}")
    run.counts = {str(name): int(value) for name, value in sorted(counts.items())}
    run.sqlmodel_update({name: int(counts[name]) for name in RUN_COUNTERS if name in counts})
    run.status = status
    run.finished_at = utcnow()
    run.errors = [
        {"url": str(error.get("url", "")), "error": str(error.get("error", ""))}
        for error in errors[:MAX_RUN_ERRORS]
    ]
    session.add(run)
    session.flush()


# -- list walks ------------------------------------------------------------------------------


def completed_walks(*, session: Session, source_ids: Sequence[str]) -> list[SourceWalk]:
    """The list chains of these sources that a crawl has walked to their end."""
    statement = select(SourceWalk).where(col(SourceWalk.source_id).in_(list(source_ids)))
    return list(session.exec(statement).all())


def record_walks(*, session: Session, walks: Sequence[SourceWalk]) -> None:
    """Remember list chains walked to their end (a later walk replaces an earlier one)."""
    unknown = {walk.ended_by for walk in walks} - WALK_ENDS
    if unknown:
        raise ValueError(f"unknown walk end(s) {sorted(unknown)}; expected {sorted(WALK_ENDS)}")
    if not walks:
        return
    statement = _insert(session, SourceWalk)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["source_id", "start_url"],
        set_={
            name: getattr(excluded, name)
            for name in ("completed_at", "ended_by", "pages", "max_list_pages")
        },
    )
    rows = {(walk.source_id, walk.start_url): walk.model_dump() for walk in walks}
    session.connection().execute(statement, list(rows.values()))


def forget_walks(*, session: Session, source_id: str, keep: Sequence[str]) -> int:
    """Forget the walks of a source's start URLs other than ``keep`` (no longer configured: one
    added back later is walked again); returns how many."""
    table = _table(SourceWalk)
    statement = table.delete().where(table.c.source_id == source_id)
    if keep:
        statement = statement.where(table.c.start_url.not_in(list(keep)))
    return int(session.connection().execute(statement).rowcount or 0)


# -- crawled URLs ----------------------------------------------------------------------------


def unseen_urls(*, session: Session, canonical_urls: Sequence[str], now: datetime) -> list[str]:
    """The URLs to fetch: unknown ones, and failed ones whose retry time has come.

    Input order is kept and duplicates are dropped.
    """
    unique = list(dict.fromkeys(canonical_urls))
    known: set[str] = set()
    for chunk in _chunks(unique):
        rows = session.exec(
            select(CrawledUrl.canonical_url, CrawledUrl.state, CrawledUrl.retry_after).where(
                col(CrawledUrl.canonical_url).in_(chunk)
            )
        ).all()
        known.update(url for url, state, retry_after in rows if not _due(state, retry_after, now))
    return [url for url in unique if url not in known]


def _due(state: str, retry_after: datetime | None, now: datetime) -> bool:
    return state == "error" and (retry_after is None or retry_after <= now)


def record_urls(
    *,
    session: Session,
    records: Sequence[UrlRecord],
    now: datetime,
    retry_base: timedelta = RETRY_BASE,
) -> None:
    """Remember what happened to URLs; failures back off 1 h, 2 h, 4 h... up to 7 days (the first
    delay is ``retry_base``).

    A URL already stored as an article or attachment keeps that state.
    """
    unknown = {record.state for record in records} - URL_STATES
    if unknown:
        raise ValueError(f"unknown URL state(s) {sorted(unknown)}; expected {sorted(URL_STATES)}")
    latest = list({record.canonical_url: record for record in records}.values())
    attempts = _attempts(session, [record.canonical_url for record in latest])
    rows = [
        _url_row(
            record.canonical_url,
            record.source_id,
            record.state,
            now,
            http_status=record.http_status,
            error=record.error,
            retry_after=now + retry_delay(attempts.get(record.canonical_url, 0) + 1, retry_base)
            if record.state == "error"
            else None,
            linked_url=record.url,
        )
        for record in latest
    ]
    _upsert_urls(session, rows)


def retry_delay(attempts: int, base: timedelta = RETRY_BASE) -> timedelta:
    """How long to wait before retrying a URL that has failed ``attempts`` times."""
    return min(base * 2 ** min(max(attempts - 1, 0), 16), RETRY_CAP)


def due_urls(
    *, session: Session, source_id: str, now: datetime, limit: int
) -> list[tuple[str, str]]:
    """(canonical URL, URL to request) of at most ``limit`` failed URLs of a source whose retry
    time has come, longest due first: a crawl retries them wherever their list pages are."""
    table = _table(CrawledUrl)
    statement = (
        sa_select(table.c.canonical_url, table.c.url)
        .where(table.c.source_id == source_id, table.c.state == "error")
        .where(or_(table.c.retry_after.is_(None), table.c.retry_after <= now))
        .order_by(table.c.retry_after.nulls_first(), table.c.canonical_url)
        .limit(limit)
    )
    return [(row[0], row[1] or row[0]) for row in session.connection().execute(statement)]


def _attempts(session: Session, urls: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(urls):
        statement = select(CrawledUrl.canonical_url, CrawledUrl.attempts).where(
            col(CrawledUrl.canonical_url).in_(chunk)
        )
        found.update(session.exec(statement.with_for_update()).all())
    return found


def _url_row(
    url: str,
    source_id: str,
    state: str,
    now: datetime,
    *,
    http_status: int | None = None,
    error: str | None = None,
    retry_after: datetime | None = None,
    linked_url: str | None = None,
) -> dict[str, Any]:
    return {
        "canonical_url": url,
        "source_id": source_id,
        "state": state,
        "http_status": http_status,
        "attempts": 1,
        "last_error": error,
        "first_seen_at": now,
        "last_seen_at": now,
        "retry_after": retry_after,
        "url": linked_url,
    }


def _upsert_urls(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update crawled_urls rows (one per URL), never downgrading a stored URL."""
    if not rows:
        return
    table = _table(CrawledUrl)
    statement = _insert(session, CrawledUrl)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["canonical_url"],
        set_={
            "state": excluded.state,
            "http_status": excluded.http_status,
            "attempts": table.c.attempts + 1,
            "last_error": excluded.last_error,
            "last_seen_at": excluded.last_seen_at,
            "retry_after": excluded.retry_after,
            "url": func.coalesce(excluded.url, table.c.url),
        },
        where=or_(~_is_stored(table.c.state), _is_stored(excluded.state)),
    )
    session.connection().execute(statement, list(rows))


def _is_stored(state: ColumnElement[str]) -> ColumnElement[bool]:
    # Constants inlined: an executemany statement cannot expand IN parameters.
    return state.in_([literal_column(f"'{name}'") for name in sorted(PROTECTED_URL_STATES)])


def _one_row_per_url(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Last row per URL, except that a stored state outranks any other."""
    by_url: dict[str, dict[str, Any]] = {}
    for row in rows:
        current = by_url.get(row["canonical_url"])
        if (
            current is None
            or row["state"] in PROTECTED_URL_STATES
            or current["state"] not in PROTECTED_URL_STATES
        ):
            by_url[row["canonical_url"]] = row
    return list(by_url.values())


# -- articles and attachments ----------------------------------------------------------------


def store_articles(*, session: Session, articles: Sequence[NewArticle]) -> list[int | None]:
    """Store new articles with their HTML; None for each one already stored (by canonical URL).

    Also remembers each canonical URL as 'article' and each redirected link as 'redirect'. The
    new articles have no story yet: the caller assigns them in the same transaction
    (``crawler.crawl.stories.assign_stories``). The search index takes them in
    (``storage.search.apply_pending``).
    """
    new_ids: dict[str, int] = {}
    for chunk in _chunks(articles):
        new_ids.update(_insert_articles(session, chunk))
    result: list[int | None] = []
    for article in articles:
        # pop: a URL repeated within the batch is new only the first time.
        result.append(new_ids.pop(article.canonical_url, None))
    new = [(i, a) for i, a in zip(result, articles, strict=True) if i is not None]
    _insert_html(session, new)
    _upsert_urls(session, _one_row_per_url(_article_url_rows(articles)))
    search.apply_pending(session=session)  # the triggers queued the new articles
    return result


def _insert_articles(session: Session, articles: Sequence[NewArticle]) -> dict[str, int]:
    table = _table(Article)
    statement = (
        _insert(session, Article)
        .on_conflict_do_nothing(index_elements=["canonical_url"])
        .returning(table.c.id, table.c.canonical_url)
    )
    rows = [article.model_dump(include=_ARTICLE_FIELDS) for article in articles]
    result = session.connection().execute(statement, rows)
    return {url: article_id for article_id, url in result}


def _insert_html(session: Session, new: Sequence[tuple[int, NewArticle]]) -> None:
    if not new:
        return
    rows = [
        {
            "article_id": article_id,
            "raw_html": article.raw_html_compressed,
            "content_type": article.content_type,
            "header_charset": article.header_charset,
        }
        for article_id, article in new
    ]
    session.connection().execute(_insert(session, ArticleHtml), rows)


def _article_url_rows(articles: Sequence[NewArticle]) -> Iterator[dict[str, Any]]:
    for article in articles:
        yield _url_row(article.canonical_url, article.source_id, "article", article.fetched_at)
        linked = article.request_canonical_url
        if linked and linked != article.canonical_url:
            yield _url_row(linked, article.source_id, "redirect", article.fetched_at)


def store_attachments(*, session: Session, attachments: Sequence[NewAttachment]) -> int:
    """Store attachments not yet known (by canonical URL); returns how many were new."""
    new = 0
    statement = (
        _insert(session, Attachment)
        .on_conflict_do_nothing(index_elements=["canonical_url"])
        .returning(_table(Attachment).c.id)
    )
    for chunk in _chunks(attachments):
        rows = [attachment.model_dump(include=_ATTACHMENT_FIELDS) for attachment in chunk]
        new += len(session.connection().execute(statement, rows).all())
    url_rows = (
        _url_row(a.canonical_url, a.source_id, "attachment", a.discovered_at) for a in attachments
    )
    _upsert_urls(session, _one_row_per_url(url_rows))
    return new


def update_extractions(*, session: Session, updates: Sequence[ArticleUpdate]) -> int:
    """Rewrite the extracted fields of stored articles; returns how many rows changed.

    A Core UPDATE: ``Article`` objects already loaded in this session are not refreshed. The
    story index keeps the old signatures until the caller re-indexes them
    (``crawler.crawl.stories.reindex``); the search index and the articles' stories' listing
    dates (a publication date may have changed) are brought up to date.
    """
    if not updates:
        return 0
    table = _table(Article)
    statement = update(table).where(table.c.id == bindparam("_article_id"))
    changed = 0
    stories: set[int] = set()
    for chunk in _chunks(updates):
        rows = [
            {"_article_id": item.id, **item.model_dump(include=_CONTENT_FIELDS)} for item in chunk
        ]
        changed += session.connection().execute(statement, rows).rowcount
        stories |= story_index.stories_of(session.connection(), [item.id for item in chunk])
    story_index.refresh_listing_dates(session=session, story_ids=stories)
    search.apply_pending(session=session)  # the triggers queued changed titles and texts
    return changed


# -- reading ---------------------------------------------------------------------------------


def list_articles(
    *,
    session: Session,
    source_id: str | None = None,
    since: date | None = None,
    limit: int = 50,
    relevant: bool | None = None,
) -> list[Article]:
    """Newest articles first: by stated date (undated last), then fetch time, then id.

    ``since`` keeps articles dated on or after it, and undated ones fetched since then (UTC);
    ``relevant`` keeps only (ir)relevant ones.
    """
    statement = select(Article)
    if source_id is not None:
        statement = statement.where(Article.source_id == source_id)
    if relevant is not None:
        statement = statement.where(col(Article.relevant).is_(relevant))
    if since is not None:
        start = datetime.combine(since, time(), tzinfo=UTC)
        published_on = col(Article.published_on)
        statement = statement.where(
            or_(
                published_on >= since,
                and_(published_on.is_(None), col(Article.fetched_at) >= start),
            )
        )
    statement = statement.order_by(
        col(Article.published_on).desc().nulls_last(),
        col(Article.fetched_at).desc(),
        col(Article.id).desc(),
    )
    return list(session.exec(statement.limit(limit)).all())


def get_article(*, session: Session, article_id: int) -> Article | None:
    """The article with this id, if any."""
    return session.get(Article, article_id)


def article_attachments(*, session: Session, article_id: int) -> list[Attachment]:
    """The attachments linked from an article, in discovery order."""
    statement = select(Attachment).where(Attachment.article_id == article_id)
    return list(session.exec(statement.order_by(col(Attachment.id))).all())


def count_articles(*, session: Session, source_id: str | None = None) -> int:
    """How many articles are stored, for one source or all."""
    statement = select(func.count()).select_from(_table(Article))
    if source_id is not None:
        statement = statement.where(Article.source_id == source_id)
    return session.exec(statement).one()


def article_hashes(*, session: Session, source_id: str | None = None) -> dict[int, str]:
    """Each stored article's content hash by id (``reextract`` compares against it)."""
    table = _table(Article)
    statement = sa_select(table.c.id, table.c.content_hash)
    if source_id is not None:
        statement = statement.where(table.c.source_id == source_id)
    return {row[0]: row[1] for row in session.connection().execute(statement)}


def source_overview(*, session: Session) -> list[SourceOverview]:
    """Every source with its latest run and article count (three queries, whatever the count)."""
    sources = session.exec(select(Source).order_by(col(Source.id))).all()
    counts: dict[str, int] = dict(
        session.exec(select(Article.source_id, func.count()).group_by(col(Article.source_id))).all()
    )
    latest_ids = select(func.max(CrawlRun.id)).group_by(col(CrawlRun.source_id))
    runs = {
        run.source_id: run
        for run in session.exec(select(CrawlRun).where(col(CrawlRun.id).in_(latest_ids))).all()
    }
    return [
        SourceOverview(
            source=source, last_run=runs.get(source.id), article_count=counts.get(source.id, 0)
        )
        for source in sources
    ]


def iter_article_html(
    *, session: Session, batch_size: int = 500, source_id: str | None = None
) -> Iterator[list[HtmlRow]]:
    """Batches of (id, url, source_id, compressed html, header charset, fetched_at), in id order.

    Keyset pagination on id, so rows added or changed meanwhile never shift a page.
    """
    after = 0
    while True:
        batch = _html_page(session, after=after, limit=batch_size, source_id=source_id)
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        after = batch[-1][0]


def _html_page(session: Session, *, after: int, limit: int, source_id: str | None) -> list[HtmlRow]:
    articles, pages = _table(Article), _table(ArticleHtml)
    statement = (
        sa_select(
            articles.c.id,
            articles.c.url,
            articles.c.source_id,
            pages.c.raw_html,
            pages.c.header_charset,
            articles.c.fetched_at,
        )
        .join_from(articles, pages, pages.c.article_id == articles.c.id)
        .where(articles.c.id > after)
    )
    if source_id is not None:
        statement = statement.where(articles.c.source_id == source_id)
    rows = session.connection().execute(statement.order_by(articles.c.id).limit(limit))
    return [(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows]
