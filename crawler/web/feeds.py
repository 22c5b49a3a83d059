"""Atom feeds (mounted under ``/feeds``), built with feedgen:

- ``/feeds/search/{id}.xml``: a saved search's newest matches (the articles stored last);
- ``/feeds/rule/{name}.xml``: the articles an alert rule alerted (a config rule's name, or
  ``search:<name>`` for a saved search that is an alert rule), newest alert first.

A reader token is needed; feed readers that cannot send headers put it in the URL
(``?token=``). Crawled text goes in as text (``type="text"``: escaped by the XML writer, never
HTML), stripped of the characters XML cannot hold; an entry links to its article's original
page only when that is an http(s) URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from fastapi import APIRouter, HTTPException, Request, Response, status
from feedgen.feed import FeedGenerator

from crawler.search.query import parse
from crawler.web.auth import DbSession, FeedReader
from storage import browse, saved_searches
from storage import search as store
from storage.models import Article

router = APIRouter(tags=["feeds"])

FEED_SIZE: Final = 50
SUMMARY_CHARS: Final = 400
CONTENT_CHARS: Final = 4000
ATOM: Final = "application/atom+xml; charset=utf-8"
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_FEED_ID: Final = "urn:forumwatch:"


def xml_text(value: str | None) -> str:
    """``value`` without the characters XML 1.0 cannot hold (and C1 controls)."""
    return _NOT_XML.sub("", value or "")


def web_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL, else None (no ``javascript:``, ``data:`` ...)."""
    if not url:
        return None
    cleaned = xml_text(url).strip()
    scheme = cleaned.split(":", 1)[0].lower()
    return cleaned if scheme in ("http", "https") and "://" in cleaned else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def build_feed(
    *, feed_id: str, title: str, self_url: str, articles: Sequence[Article], subtitle: str = ""
) -> bytes:
    """An Atom document of ``articles`` (newest first)."""
    feed = FeedGenerator()
    feed.id(_FEED_ID + feed_id)
    feed.title(xml_text(title) or "forumwatch")
    feed.subtitle(xml_text(subtitle) or "forumwatch")
    feed.author({"name": "forumwatch"})
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.generator("forumwatch")
    updated = max((_aware(a.fetched_at) for a in articles), default=datetime.now(UTC))
    feed.updated(updated)
    for article in reversed(articles):  # feedgen puts the entry added last first
        entry = feed.add_entry()
        entry.id(f"{_FEED_ID}article:{article.id}")
        entry.title(xml_text(article.title) or xml_text(article.url) or f"article {article.id}")
        entry.updated(_aware(article.fetched_at))
        if article.published_at is not None:
            entry.published(_aware(article.published_at))
        link = web_link(article.url)
        if link is not None:
            entry.link(href=link, rel="alternate")
        entry.author({"name": xml_text(article.site_name or article.source_id) or "forumwatch"})
        text = xml_text(article.text)
        entry.summary(text[:SUMMARY_CHARS], type="text")
        entry.content(text[:CONTENT_CHARS] or "(no text)", type="text")
    document: bytes = feed.atom_str(pretty=True)
    return document


def _self_url(request: Request) -> str:
    """The feed's own URL, without the token it may have been asked with."""
    return str(request.url.remove_query_params("token"))


@router.get("/search/{search_id}.xml", response_class=Response)
def saved_search_feed(
    search_id: int, request: Request, _token: FeedReader, session: DbSession
) -> Response:
    """A saved search's newest matches (Atom)."""
    row = saved_searches.get_saved_search(session=session, search_id=search_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such saved search")
    articles = store.newest_matches(
        session=session,
        clauses=parse(row.query).clauses,
        filters=saved_searches.filter_from_json(row.filters),
        limit=FEED_SIZE,
    )
    body = build_feed(
        feed_id=f"search:{row.id}",
        title=f"forumwatch: {row.name}",
        subtitle=row.query,
        self_url=_self_url(request),
        articles=articles,
    )
    return Response(body, media_type=ATOM)


@router.get("/rule/{name}.xml", response_class=Response)
def rule_feed(name: str, request: Request, _token: FeedReader, session: DbSession) -> Response:
    """The articles an alert rule alerted, newest alert first (Atom)."""
    alerted = browse.alerted_articles(session=session, rule=name, limit=FEED_SIZE)
    known = {rule.name for rule in request.app.state.config.alerts}
    known |= {f"search:{row.name}" for row in saved_searches.alerting_searches(session=session)}
    if not alerted and name not in known:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such alert rule")
    body = build_feed(
        feed_id=f"rule:{name}",
        title=f"forumwatch alerts: {name}",
        self_url=_self_url(request),
        articles=[article for _alert, article in alerted],
    )
    return Response(body, media_type=ATOM)
