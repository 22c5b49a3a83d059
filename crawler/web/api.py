"""The HTTP API, mounted under ``/api``: articles, search, stories, sources, alerts and saved
searches. Every route needs a token (``crawler.web.auth``) but ``/health``; changing anything
(saving or deleting a search) needs an admin token.

Answers reuse the CLI's JSON records (``crawler.records``): an article here equals its line of
``forumwatch articles --json``, a search hit its line of ``forumwatch search --json``.

Pagination: ``/articles`` pages by an opaque ``cursor`` naming the last article of the previous
page (``storage.browse.PageKey``), so articles stored meanwhile never shift a page: every
article present when paging began is listed exactly once. ``/search`` ranks by match quality;
its cursor (or ``offset``) is a position in that ranking.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from crawler.alerts.channels import channel_label
from crawler.alerts.searches import rule_name
from crawler.records import (
    alert_record,
    article_detail_record,
    article_record,
    published_iso,
    search_record,
    source_record,
    story_record,
)
from crawler.search.query import parse
from crawler.search.snippets import highlight, snippet
from crawler.web import schemas
from crawler.web.auth import Admin, DbSession, Reader
from crawler.web.saving import SaveRefused, save_search
from storage import browse, health, queries, saved_searches
from storage import search as store
from storage.alerts import recent_alerts
from storage.db import session_scope
from storage.models import SavedSearch
from storage.search import ArticleFilter
from storage.story_index import story_siblings, story_views

router = APIRouter()

MAX_LIMIT: Final = 100
MAX_OFFSET: Final = 10_000


# -- shared parameters ------------------------------------------------------------------------


async def article_filter(
    source: Annotated[list[str] | None, Query(description="Only these sources (any)")] = None,
    tag: Annotated[list[str] | None, Query(description="Only sources with these tags")] = None,
    since: Annotated[date | None, Query(description="Published on or after (YYYY-MM-DD)")] = None,
    until: Annotated[date | None, Query(description="Published on or before (YYYY-MM-DD)")] = None,
    relevant: Annotated[bool | None, Query(description="Forum/summit articles or others")] = None,
    topic: Annotated[list[str] | None, Query(description="Only these topic ids (any)")] = None,
    flag: Annotated[list[str] | None, Query(description="Only these quality flags (any)")] = None,
    language: Annotated[list[str] | None, Query(description="Only these languages")] = None,
    story: Annotated[list[int] | None, Query(description="Only these story ids")] = None,
) -> ArticleFilter:
    """The filters of ``forumwatch search`` as query parameters (repeat a list parameter)."""
    return ArticleFilter(
        sources=tuple(source or ()),
        tags=tuple(tag or ()),
        since=since,
        until=until,
        relevant=relevant,
        topics=tuple(topic or ()),
        flags=tuple(flag or ()),
        languages=tuple(language or ()),
        story_ids=tuple(story or ()),
    )


Filters = Annotated[ArticleFilter, Depends(article_filter)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
Cursor = Annotated[
    str | None, Query(max_length=500, description="`next_cursor` of the previous page")
]


def _bad_cursor() -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, detail="not a cursor of this listing")


def encode_cursor(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _bad_cursor() from None
    if not isinstance(value, dict):
        raise _bad_cursor()
    return value


def _page_cursor(key: browse.PageKey) -> str:
    return encode_cursor(
        {
            "p": key.published_on.isoformat() if key.published_on else None,
            "f": key.fetched_at.isoformat(),
            "i": key.id,
        }
    )


def _page_key(cursor: str) -> browse.PageKey:
    value = decode_cursor(cursor)
    try:
        published = value["p"]
        fetched = datetime.fromisoformat(value["f"])
        if fetched.tzinfo is None or not isinstance(value["i"], int):
            raise ValueError
        return browse.PageKey(
            date.fromisoformat(published) if published is not None else None, fetched, value["i"]
        )
    except (KeyError, TypeError, ValueError):
        raise _bad_cursor() from None


def _not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no such {what}")


# -- routes -----------------------------------------------------------------------------------


@router.get("/health", response_model=schemas.Health, tags=["health"])
def get_health() -> schemas.Health:
    """Liveness: the only route needing no token."""
    return schemas.Health()


@router.get("/articles", response_model=schemas.ArticlePage, tags=["articles"])
def list_articles(
    _token: Reader,
    session: DbSession,
    filters: Filters,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Articles newest first (by publication date, undated last, then fetch time), filtered
    like a search; page on with `cursor`."""
    after = _page_key(cursor) if cursor else None
    rows = browse.article_page(session=session, filters=filters, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [article_record(row) for row in rows],
        "next_cursor": _page_cursor(browse.page_key(rows[-1])) if more else None,
    }


@router.get("/articles/{article_id}", response_model=schemas.ArticleDetail, tags=["articles"])
def get_article(article_id: int, _token: Reader, session: DbSession) -> dict[str, Any]:
    """One article in full, with its attachments and its story's other articles."""
    article = queries.get_article(session=session, article_id=article_id)
    if article is None:
        raise _not_found("article")
    attachments = queries.article_attachments(session=session, article_id=article_id)
    siblings = story_siblings(session=session, article=article)
    return article_detail_record(article, attachments, siblings)


@router.get("/search", response_model=schemas.SearchPage, tags=["search"])
def search(
    _token: Reader,
    session: DbSession,
    filters: Filters,
    q: Annotated[
        str,
        Query(
            max_length=10_000,
            description='Terms all required; "a phrase"; A OR B; -term excludes (as `forumwatch search`)',
        ),
    ],
    limit: Limit = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Full-text search, best matches first, with highlighted snippets: the results of
    `forumwatch search` (same query language, same filters, same order)."""
    parsed = parse(q)
    if parsed.is_empty:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="empty query: give a term")
    if cursor:
        position = decode_cursor(cursor).get("o")
        if not isinstance(position, int) or not 0 <= position <= MAX_OFFSET:
            raise _bad_cursor()
        offset = position
    hits = store.search(
        session=session, clauses=parsed.clauses, filters=filters, limit=limit + 1, offset=offset
    )
    more = len(hits) > limit
    terms = parsed.positive_terms()
    items = []
    for hit in hits[:limit]:
        found = snippet(hit.article.text, terms)
        record = search_record(hit.article, hit.score, found.text, found.highlights)
        record["title_highlights"] = list(highlight(hit.article.title, terms).highlights)
        items.append(record)
    following = offset + limit
    return {
        "items": items,
        "offset": offset,
        "next_cursor": encode_cursor({"o": following})
        if more and following <= MAX_OFFSET
        else None,
    }


@router.get("/stories", response_model=list[schemas.StoryOut], tags=["stories"])
def list_stories(
    _token: Reader,
    session: DbSession,
    since: Annotated[date | None, Query(description="First seen on or after")] = None,
    min_sources: Annotated[int, Query(ge=1, le=1000)] = 1,
    limit: Limit = 50,
) -> list[dict[str, Any]]:
    """Stories (an article and its reposts on other sites), newest first by their earliest
    publication date (an undated article counts by the day it was fetched), then first seen."""
    found = story_views(session=session, since=since, limit=limit, min_sources=min_sources)
    return [story_record(view) for view in found]


@router.get("/stories/{story_id}", response_model=schemas.StoryDetail, tags=["stories"])
def get_story(story_id: int, _token: Reader, session: DbSession) -> dict[str, Any]:
    """A story with every site carrying it and its likely original."""
    found = story_views(session=session, story_ids=[story_id], limit=1)
    if not found:
        raise _not_found("story")
    view = found[0]
    record = story_record(view)
    original = (record.get("original") or {}).get("id")
    record["articles"] = [
        {
            "id": article.id,
            "source": article.source_id,
            "url": article.url,
            "title": article.title,
            "published_at": published_iso(article.published_on, article.published_at),
            "fetched_at": article.fetched_at.isoformat() if article.fetched_at else None,
            "is_original": article.id == original,
        }
        for article in view.articles
    ]
    return record


@router.get("/sources", response_model=list[schemas.SourceOut], tags=["sources"])
def list_sources(request: Request, _token: Reader, session: DbSession) -> list[dict[str, Any]]:
    """Configured sources with their health state (since when, why), last run, last success,
    last new article, article count and the errors of recent runs (`forumwatch sources`)."""
    overview = {o.source.id: o for o in queries.source_overview(session=session)}
    states = health.health_overview(session=session)
    return [
        source_record(source, overview.get(source.id), states.get(source.id))
        for source in request.app.state.config.sources
    ]


@router.get("/alerts", response_model=list[schemas.AlertOut], tags=["alerts"])
def list_alerts(
    _token: Reader,
    session: DbSession,
    rule: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[str | None, Query(pattern="^(pending|sending|sent|dead)$")] = None,
    limit: Limit = 50,
) -> list[dict[str, Any]]:
    """Recent alerts, newest first, with the state of each delivery."""
    rows = recent_alerts(session=session, limit=limit, rule=rule, state=state)
    return [alert_record(row) for row in rows]


# -- saved searches ---------------------------------------------------------------------------


def saved_search_record(row: SavedSearch) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "query": row.query,
        "filters": schemas.Filters.model_validate(row.filters or {}),
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "notify": [channel_label(url) for url in row.notify or []],
        "alert_mode": row.alert_mode,
        "alert_rule": rule_name(row.name) if row.notify else None,
        "feed": f"/feeds/search/{row.id}.xml",
    }


@router.get("/saved-searches", response_model=list[schemas.SavedSearchOut], tags=["saved searches"])
def list_saved(_token: Reader, session: DbSession) -> list[dict[str, Any]]:
    """Every saved search (channels masked)."""
    return [saved_search_record(row) for row in saved_searches.list_saved_searches(session=session)]


@router.get(
    "/saved-searches/{search_id}", response_model=schemas.SavedSearchOut, tags=["saved searches"]
)
def get_saved(search_id: int, _token: Reader, session: DbSession) -> dict[str, Any]:
    row = saved_searches.get_saved_search(session=session, search_id=search_id)
    if row is None:
        raise _not_found("saved search")
    return saved_search_record(row)


@router.post(
    "/saved-searches",
    response_model=schemas.SavedSearchOut,
    status_code=status.HTTP_201_CREATED,
    tags=["saved searches"],
)
def create_saved(request: Request, body: schemas.SavedSearchIn, token: Admin) -> dict[str, Any]:
    """Save a search (admin). With `notify` channels it is also an alert rule named
    `search:<name>`: new articles it finds alert like a rule of the config's `alerts`."""
    try:
        row = save_search(request.app.state.engine, body, token.id)
    except SaveRefused as refused:
        raise HTTPException(refused.status, detail=refused.detail) from None
    return saved_search_record(row)


@router.delete(
    "/saved-searches/{search_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["saved searches"],
)
def delete_saved(search_id: int, request: Request, _token: Admin) -> Response:
    """Forget a saved search (admin); its alert rule goes with it."""
    with session_scope(request.app.state.engine, write=True) as session:
        deleted = saved_searches.delete_saved_search(session=session, search_id=search_id)
    if not deleted:
        raise _not_found("saved search")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
