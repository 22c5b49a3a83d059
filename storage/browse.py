"""Article listings for the HTTP API: keyset pages and the articles an alert rule alerted.

``article_page`` lists articles newest first (by stated publication date, undated last, then
fetch time, then id: the order of ``queries.list_articles``) under the filters of a search
(``search.ArticleFilter``), one page after a ``PageKey``: the key of the last article of the
previous page. Because the key is a position in a total order, not an offset, articles stored
while a client pages never make it see one twice or miss one that was there when it started.

Keyword-only ``session`` functions; the caller owns the transaction. Reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from storage.models import Alert, Article
from storage.search import ArticleFilter, filter_conditions


@dataclass(frozen=True, slots=True)
class PageKey:
    """Where an article sits in the newest-first order."""

    published_on: date | None
    fetched_at: datetime
    id: int


def page_key(article: Article) -> PageKey:
    """The key of a listed article (the next page starts after it)."""
    assert article.id is not None
    return PageKey(article.published_on, article.fetched_at, article.id)


def _after(key: PageKey) -> ColumnElement[bool]:
    published, fetched, ident = col(Article.published_on), col(Article.fetched_at), col(Article.id)
    later_in_day = or_(fetched < key.fetched_at, and_(fetched == key.fetched_at, ident < key.id))
    if key.published_on is None:  # undated articles come last
        return and_(published.is_(None), later_in_day)
    return or_(
        published.is_(None),
        published < key.published_on,
        and_(published == key.published_on, later_in_day),
    )


def article_page(
    *,
    session: Session,
    filters: ArticleFilter = ArticleFilter(),  # noqa: B008 (frozen, never mutated)
    after: PageKey | None = None,
    limit: int = 50,
) -> list[Article]:
    """Up to ``limit`` articles matching ``filters``, newest first, after ``after``."""
    statement = select(Article).where(*filter_conditions(session=session, filters=filters))
    if after is not None:
        statement = statement.where(_after(after))
    statement = statement.order_by(
        col(Article.published_on).desc().nulls_last(),
        col(Article.fetched_at).desc(),
        col(Article.id).desc(),
    )
    return list(session.exec(statement.limit(limit)).all())


def alerted_articles(
    *, session: Session, rule: str, limit: int = 50
) -> list[tuple[Alert, Article]]:
    """The newest alerts of ``rule`` about articles still stored, with their articles."""
    statement = (
        select(Alert, Article)
        .join(Article, col(Article.id) == col(Alert.article_id))
        .where(Alert.rule == rule)
        .order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
        .limit(limit)
    )
    return [(alert, article) for alert, article in session.exec(statement).all()]


def alert_rule_names(*, session: Session) -> list[str]:
    """Every rule name that ever alerted."""
    statement = select(Alert.rule).distinct().order_by(col(Alert.rule))
    return list(session.exec(statement).all())
