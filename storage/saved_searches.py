"""Saved searches: a query and its filters kept by name; with ``notify`` channels also an
alert rule (``crawler.alerts.searches``).

Keyword-only ``session`` functions; the caller owns the transaction. Reads no settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import SavedSearch
from storage.search import ArticleFilter


class DuplicateName(ValueError):
    """A saved search with this name exists already."""


def add_saved_search(
    *,
    session: Session,
    name: str,
    query: str,
    filters: dict[str, Any],
    created_by: int | None = None,
    notify: Sequence[str] = (),
    alert_mode: str = "instant",
) -> SavedSearch:
    """Save a search (``DuplicateName`` when the name is taken)."""
    if session.exec(select(SavedSearch.id).where(SavedSearch.name == name)).first() is not None:
        raise DuplicateName(name)
    row = SavedSearch(
        name=name,
        query=query,
        filters=dict(filters),
        created_by=created_by,
        notify=list(notify),
        alert_mode=alert_mode,
    )
    session.add(row)
    session.flush()
    return row


def list_saved_searches(*, session: Session) -> list[SavedSearch]:
    """Every saved search, by id."""
    return list(session.exec(select(SavedSearch).order_by(col(SavedSearch.id))).all())


def get_saved_search(*, session: Session, search_id: int) -> SavedSearch | None:
    return session.get(SavedSearch, search_id)


def delete_saved_search(*, session: Session, search_id: int) -> bool:
    """Forget a saved search; False when there was none."""
    result = session.connection().execute(
        delete(SavedSearch).where(col(SavedSearch.id) == search_id)
    )
    return bool(result.rowcount)


def alerting_searches(*, session: Session) -> list[SavedSearch]:
    """The saved searches that are alert rules (some ``notify`` channel)."""
    return [row for row in list_saved_searches(session=session) if row.notify]


def filter_to_json(filters: ArticleFilter) -> dict[str, Any]:
    """``filters`` as stored in ``saved_searches.filters``: only the fields given."""
    stored: dict[str, Any] = {}
    for name in ArticleFilter.__slots__:
        value = getattr(filters, name)
        if value is None or value == ():
            continue
        if isinstance(value, date):
            value = value.isoformat()
        stored[name] = list(value) if isinstance(value, tuple) else value
    return stored


def filter_from_json(stored: dict[str, Any] | None) -> ArticleFilter:
    """The ``ArticleFilter`` of a stored ``filters`` mapping (unknown keys ignored)."""
    stored = stored or {}
    values: dict[str, Any] = {}
    for name in ArticleFilter.__slots__:
        value = stored.get(name)
        if value is None:
            continue
        if name in ("since", "until"):
            values[name] = date.fromisoformat(value)
        elif name == "relevant":
            values[name] = bool(value)
        else:
            values[name] = tuple(value)
    return ArticleFilter(**values)
