"""The web UI: server-rendered pages (Jinja2, templates in ``templates/``, CSS in ``static/``).

``router`` serves ``/login`` (paste a token: it becomes the HttpOnly, SameSite=Strict cookie
``fw_token``), ``/logout``, ``/`` (search with filters and highlighted snippets), ``/articles/{id}``,
``/stories/{id}``, ``/sources`` (health), ``/alerts`` (recent alerts and their deliveries) and ``/new`` (articles stored since the last visit).
Every page but the login form needs a live token (``crawler.web.auth``); without one it
redirects to ``/login``. Chinese and English (``crawler.web.i18n``): ``?lang=`` switches and a
cookie remembers it.

Crawled text is hostile: the templates autoescape everything, highlights are ``<mark>`` around
escaped pieces (``crawler.web.render.segments``), and only absolute http(s) URLs become links.
No inline script or style anywhere (the Content-Security-Policy of ``crawler.web.app`` forbids
them).

"New since my last visit": the cookie ``fw_seen`` holds the time of the last page view and
``fw_since`` the start of what counts as new. A page view more than ``VISIT_GAP`` after the last
one starts a new visit: what was stored since the previous visit's last view is new. A first
visit counts the last ``FIRST_VISIT_DAYS`` days as new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from crawler.search.query import parse
from crawler.search.snippets import highlight, snippet
from crawler.web import auth, i18n, render
from storage import alerts, health, queries, story_index, web_pages
from storage import search as store
from storage.db import session_scope
from storage.models import Article
from storage.tokens import find_token

TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"
PAGE_SIZE: Final = 20
NEW_LIMIT: Final = 200
ALERTS_LIMIT: Final = 100
VISIT_GAP: Final = timedelta(minutes=30)
FIRST_VISIT_DAYS: Final = 7
LANG_COOKIE: Final = "fw_lang"
SEEN_COOKIE: Final = "fw_seen"
SINCE_COOKIE: Final = "fw_since"
YEAR: Final = 365 * 24 * 3600
TOKEN_MAX_AGE: Final = 30 * 24 * 3600
MAX_QUERY: Final = 2000

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["local_time"] = render.local_time
_environment.filters["day"] = render.day
_environment.globals["safe_url"] = render.safe_url
_environment.globals["segments"] = render.segments
templates = Jinja2Templates(env=_environment)

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


# -- who is looking, in which language, since when ---------------------------------------------


def _login_redirect(request: Request) -> HTTPException:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login?" + urlencode({"next": target})
    return HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": location})


def viewer(request: Request) -> Any:
    """The token row of a signed-in reader; otherwise a redirect to the login page."""
    try:
        return auth.check_token(request, auth.sent_token(request))
    except HTTPException:
        raise _login_redirect(request) from None


Viewer = Annotated[Any, Depends(viewer)]


@dataclass(frozen=True)
class _Visit:
    now: datetime
    since: datetime
    """Articles stored after this are new to this reader."""


def _epoch(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value or ""), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _visit(request: Request) -> _Visit:
    now = datetime.now(UTC)
    seen = _epoch(request.cookies.get(SEEN_COOKIE))
    since = _epoch(request.cookies.get(SINCE_COOKIE))
    if seen is None or seen > now:
        since = now - timedelta(days=FIRST_VISIT_DAYS)
    elif now - seen > VISIT_GAP or since is None:
        since = seen
    return _Visit(now, since)


def _language(request: Request) -> str:
    return i18n.choose(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def _relative(request: Request, **params: str) -> str:
    """This page's path and query with ``params`` replaced (never an absolute URL)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in params]
    query += list(params.items())
    return request.url.path + ("?" + urlencode(query) if query else "")


def _page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    """Render ``template`` with the common context; set the language and visit cookies."""
    lang = _language(request)
    visit = _visit(request)
    other = "en" if lang == "zh" else "zh"

    def t(key: str, **values: object) -> str:
        return i18n.text(lang, key, **values)

    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": lang,
            "switch_url": _relative(request, lang=other),
            "switch_label": i18n.text(other, "lang.name"),
            "signed_in": context.pop("signed_in", True),
            "visit": visit,
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") == lang:
        _cookie(response, LANG_COOKIE, lang, httponly=False)
    if context.get("track_visit", True):
        _cookie(response, SEEN_COOKIE, str(int(visit.now.timestamp())))
        _cookie(response, SINCE_COOKIE, str(int(visit.since.timestamp())))
    return response


def _cookie(response: Response, name: str, value: str, *, httponly: bool = True) -> None:
    response.set_cookie(
        name, value, max_age=YEAR, path="/", httponly=httponly, samesite="strict", secure=False
    )


def _session(request: Request) -> Any:
    return session_scope(auth.engine_of(request))


# -- login --------------------------------------------------------------------------------------


def _next_path(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (no ``//host``, no scheme)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _page(
        request,
        "login.html",
        {"next": _next_path(next), "error": False, "signed_in": False, "track_visit": False},
    )


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    token = token.strip()
    with _session(request) as session:
        row = find_token(session=session, token=token) if token else None
    if row is None:
        context = {"next": _next_path(next), "error": True, "signed_in": False}
        return _page(request, "login.html", {**context, "track_visit": False}, status_code=401)
    response = RedirectResponse(_next_path(next), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        auth.COOKIE,
        token,
        max_age=TOKEN_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",  # behind a TLS proxy that says so
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(auth.COOKIE, path="/", httponly=True, samesite="strict")
    return response


# -- search -------------------------------------------------------------------------------------


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _values(request: Request, name: str) -> tuple[str, ...]:
    return tuple(v for v in request.query_params.getlist(name) if v)[:20]


def _filters(request: Request) -> store.ArticleFilter:
    relevant = {"yes": True, "no": False}.get(request.query_params.get("relevant", ""))
    return store.ArticleFilter(
        sources=_values(request, "source"),
        tags=_values(request, "tag"),
        since=_date(request.query_params.get("since")),
        until=_date(request.query_params.get("until")),
        relevant=relevant,
        topics=_values(request, "topic"),
        flags=_values(request, "flag"),
        languages=_values(request, "language"),
    )


@dataclass(frozen=True)
class _Row:
    article: Article
    title: list[render.Segment]
    snippet: list[render.Segment]
    source_name: str


def _rows(
    articles: Sequence[Article], terms: list[str], names: dict[str, str], width: int = 160
) -> list[_Row]:
    rows = []
    for article in articles:
        title = highlight(article.title, terms)
        text = snippet(article.text, terms, width=width)
        rows.append(
            _Row(
                article,
                render.segments(title.text, title.highlights),
                render.segments(text.text, text.highlights),
                names.get(article.source_id, article.source_id),
            )
        )
    return rows


def _topic_labels(lang: str) -> dict[str, str]:
    from crawler.analyze.relevance import get_rules

    return {
        topic.id: topic.label if lang == "zh" else topic.id.replace("_", " ")
        for topic in get_rules().topics
    }


def _source_names(session: Session) -> dict[str, str]:
    return {source.id: source.name for source in web_pages.sources(session=session)}


@router.get("/")
def search_page(request: Request, viewer: Viewer) -> Response:
    query = request.query_params.get("q", "")[:MAX_QUERY]
    try:
        page = max(1, min(int(request.query_params.get("page", "1")), 500))
    except ValueError:
        page = 1
    parsed = parse(query)
    terms = parsed.positive_terms()
    lang = _language(request)
    with _session(request) as session:
        sources = web_pages.sources(session=session)
        hits = store.search(
            session=session,
            clauses=parsed.clauses,
            filters=_filters(request),
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
    names = {source.id: source.name for source in sources}
    rows = _rows([hit.article for hit in hits[:PAGE_SIZE]], terms, names)
    params = request.query_params
    context = {
        "query": query,
        "rows": rows,
        "start": (page - 1) * PAGE_SIZE + 1,
        "end": (page - 1) * PAGE_SIZE + len(rows),
        "prev_url": _relative(request, page=str(page - 1)) if page > 1 else None,
        "next_url": _relative(request, page=str(page + 1)) if len(hits) > PAGE_SIZE else None,
        "sources": sources,
        "tags": render.unique(sorted(tag for source in sources for tag in source.tags or [])),
        "topics": _topic_labels(lang),
        "flags": i18n.FLAGS,
        "languages": ("zh", "en"),
        "chosen": {name: set(_values(request, name)) for name in _FILTER_NAMES},
        "since": params.get("since", ""),
        "until": params.get("until", ""),
        "relevant": params.get("relevant", ""),
        "is_admin": _is_admin(viewer),
    }
    return _page(request, "search.html", context)


_FILTER_NAMES: Final = ("source", "tag", "topic", "flag", "language")


# -- an article, a story ------------------------------------------------------------------------


@router.get("/articles/{article_id}")
def article_page(request: Request, article_id: int, _viewer: Viewer) -> Response:
    lang = _language(request)
    with _session(request) as session:
        article = queries.get_article(session=session, article_id=article_id)
        if article is None:
            return _not_found(request)
        siblings = story_index.story_siblings(session=session, article=article)
        attachments = queries.article_attachments(session=session, article_id=article_id)
        names = _source_names(session)
    context = {
        "article": article,
        "source_name": names.get(article.source_id, article.source_id),
        "paragraphs": render.paragraphs(article.text),
        "siblings": siblings,
        "names": names,
        "attachments": attachments,
        "topics": _topic_labels(lang),
    }
    return _page(request, "article.html", context)


@router.get("/stories/{story_id}")
def story_page(request: Request, story_id: int, _viewer: Viewer) -> Response:
    from crawler.analyze.stories import likely_original

    with _session(request) as session:
        views = story_index.story_views(session=session, story_ids=[story_id], limit=1)
        names = _source_names(session)
    if not views:
        return _not_found(request)
    view = views[0]
    original = likely_original(view.articles)
    articles = sorted(
        view.articles,
        key=lambda a: (a.published_on or date.max, a.fetched_at, a.id or 0),
    )
    context = {
        "view": view,
        "original": original,
        "articles": articles,
        "names": names,
    }
    return _page(request, "story.html", context)


def _not_found(request: Request) -> Response:
    return _page(request, "not_found.html", {}, status_code=404)


# -- sources, new articles ---------------------------------------------------------------------


@dataclass(frozen=True)
class _SourceRow:
    source_id: str
    name: str
    overview: health.HealthOverview | None
    article_count: int


@router.get("/sources")
def sources_page(request: Request, _viewer: Viewer) -> Response:
    with _session(request) as session:
        overview = queries.source_overview(session=session)
        healths = health.health_overview(session=session)
    names = {item.source.id: item.source.name for item in overview}
    counts = {item.source.id: item.article_count for item in overview}
    config = getattr(request.app.state, "config", None)
    for source in getattr(config, "sources", None) or []:  # configured, never crawled yet
        names.setdefault(source.id, source.name)
    rows = [
        _SourceRow(
            source_id,
            names.get(source_id, source_id),
            healths.get(source_id),
            counts.get(source_id, 0),
        )
        for source_id in sorted(set(names) | set(healths))
    ]
    return _page(request, "sources.html", {"rows": rows})


@router.get("/alerts")
def alerts_page(request: Request, _viewer: Viewer) -> Response:
    with _session(request) as session:
        rows = alerts.recent_alerts(session=session, limit=ALERTS_LIMIT)
        names = _source_names(session)
    return _page(request, "alerts.html", {"rows": rows, "names": names})


@router.get("/new")
def new_page(request: Request, _viewer: Viewer) -> Response:
    visit = _visit(request)
    with _session(request) as session:
        articles = web_pages.fetched_since(session=session, since=visit.since, limit=NEW_LIMIT)
        count = web_pages.count_fetched_since(session=session, since=visit.since)
        names = _source_names(session)
    context = {
        "rows": _rows(articles, [], names, width=120),
        "count": count,
        "topics": _topic_labels(_language(request)),
    }
    return _page(request, "new.html", context)


# -- saved searches -----------------------------------------------------------------------------

_FORM_FILTERS: Final = {
    "source": "sources",
    "tag": "tags",
    "topic": "topics",
    "flag": "flags",
    "language": "languages",
}


def _is_admin(token: Any) -> bool:
    return getattr(token, "role", None) == "admin"


def _run_url(row: Any) -> str:
    """The search page running a saved search (its query and filters as parameters)."""
    filters = row.filters or {}
    params: list[tuple[str, str]] = [("q", row.query)]
    for form_name, key in _FORM_FILTERS.items():
        params += [(form_name, str(value)) for value in filters.get(key) or []]
    for key in ("since", "until"):
        if filters.get(key):
            params.append((key, str(filters[key])))
    if filters.get("relevant") is not None:
        params.append(("relevant", "yes" if filters["relevant"] else "no"))
    return "/?" + urlencode(params)


@dataclass(frozen=True)
class _SavedRow:
    search: Any
    run_url: str
    channels: list[str]


def _saved(request: Request, token: Any, *, error: str | None = None, code: int = 200) -> Response:
    from crawler.alerts.channels import channel_label
    from crawler.alerts.searches import rule_name
    from storage.saved_searches import list_saved_searches

    with _session(request) as session:
        rows = [
            _SavedRow(row, _run_url(row), [channel_label(url) for url in row.notify or []])
            for row in list_saved_searches(session=session)
        ]
    context = {
        "rows": rows,
        "is_admin": _is_admin(token),
        "error": error,
        "rule_name": rule_name,
    }
    return _page(request, "saved.html", context, status_code=code)


@router.get("/saved")
def saved_page(request: Request, viewer: Viewer) -> Response:
    return _saved(request, viewer)


@router.post("/saved")
async def save_page(request: Request, viewer: Viewer) -> Response:
    """Save the search a form sends (admin): its query, filters, and channels that make it an
    alert rule; back to the list, or the list with the reason it was refused."""
    from pydantic import ValidationError

    from crawler.web.saving import SaveRefused, save_search
    from crawler.web.schemas import SavedSearchIn

    if not _is_admin(viewer):
        return _saved(request, viewer, error="saved.admin_only", code=403)
    form = await request.form()

    def one(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    filters: dict[str, Any] = {
        key: [v for v in form.getlist(name) if isinstance(v, str) and v][:20]
        for name, key in _FORM_FILTERS.items()
    }
    for key in ("since", "until"):
        if one(key):
            filters[key] = one(key)
    relevant = {"yes": True, "no": False}.get(one("relevant"))
    if relevant is not None:
        filters["relevant"] = relevant
    notify = [line.strip() for line in one("notify").splitlines() if line.strip()]
    try:
        body = SavedSearchIn.model_validate(
            {
                "name": one("name"),
                "query": one("q"),
                "filters": filters,
                "notify": notify,
                "alert_mode": one("mode") or "instant",
            }
        )
        save_search(auth.engine_of(request), body, getattr(viewer, "id", None))
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(map(str, problem["loc"]))
        return _saved(request, viewer, error=f"{where}: {problem['msg']}", code=422)
    except SaveRefused as refused:
        return _saved(request, viewer, error=refused.detail, code=refused.status)
    return RedirectResponse("/saved", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/saved/{search_id}/delete")
def delete_saved_page(request: Request, search_id: int, viewer: Viewer) -> Response:
    from storage.saved_searches import delete_saved_search

    if not _is_admin(viewer):
        return _saved(request, viewer, error="saved.admin_only", code=403)
    with session_scope(auth.engine_of(request), write=True) as session:
        delete_saved_search(session=session, search_id=search_id)
    return RedirectResponse("/saved", status_code=status.HTTP_303_SEE_OTHER)


__all__ = ["FIRST_VISIT_DAYS", "PAGE_SIZE", "VISIT_GAP", "router", "viewer"]
