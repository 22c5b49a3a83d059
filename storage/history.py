"""A source's publishing history: when its articles were published and first seen.

Read by adaptive polling (``crawler.monitor.adaptive`` learns from it), one small query per
source and plan. Works the same on SQLite and PostgreSQL (datetimes come back UTC-aware).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from storage.models import Article


@dataclass(frozen=True, slots=True)
class PublicationTime:
    """One article's times: ``published_at`` only when the page gave a time of day,
    ``published_on`` the day it states, ``fetched_at`` when it was first stored."""

    published_at: datetime | None
    published_on: date | None
    fetched_at: datetime


def publication_times(
    session: Session, source_id: str, since: datetime, *, limit: int = 20_000
) -> list[PublicationTime]:
    """The times of ``source_id``'s articles that appeared since ``since`` (by their stated
    time, else their stated day, else when they were first seen), oldest first; at most the
    newest ``limit``."""
    published_at = col(Article.published_at)
    published_on = col(Article.published_on)
    fetched_at = col(Article.fetched_at)
    recent = or_(
        published_at >= since,
        and_(published_at.is_(None), published_on >= since.date()),
        and_(published_at.is_(None), published_on.is_(None), fetched_at >= since),
    )
    statement = (
        select(published_at, published_on, fetched_at)
        .where(col(Article.source_id) == source_id, recent)
        .order_by(fetched_at.desc(), col(Article.id).desc())
        .limit(limit)
    )
    rows = session.exec(statement).all()
    return [PublicationTime(*row) for row in reversed(rows)]


def last_found(session: Session, source_id: str) -> datetime | None:
    """When the newest of ``source_id``'s articles was first stored; None without any."""
    statement = select(func.max(col(Article.fetched_at))).where(col(Article.source_id) == source_id)
    found: datetime | None = session.exec(statement).one()
    return found
