"""What the web UI's pages read besides search, stories, health and alerts: the sources with
their names and tags, and the articles stored since a given time ("new since my last visit").

Keyword-only ``session`` functions, like ``storage.queries``; the caller owns the transaction.
Reads no settings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Article, Source


def sources(*, session: Session) -> list[Source]:
    """Every known source, by id."""
    return list(session.exec(select(Source).order_by(col(Source.id))).all())


def fetched_since(*, session: Session, since: datetime, limit: int = 200) -> list[Article]:
    """Articles stored (fetched) after ``since``, newest first, at most ``limit``."""
    statement = (
        select(Article)
        .where(col(Article.fetched_at) > since)
        .order_by(col(Article.fetched_at).desc(), col(Article.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def count_fetched_since(*, session: Session, since: datetime) -> int:
    """How many articles were stored (fetched) after ``since``."""
    statement = select(func.count()).select_from(Article).where(col(Article.fetched_at) > since)
    return int(session.exec(statement).one())


__all__ = ["count_fetched_since", "fetched_since", "sources"]
