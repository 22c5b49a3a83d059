"""Saving a search, for the API (``POST /api/saved-searches``) and the UI's save form alike:
the query must hold a term, the filters must be storable, and a search given channels must make
a valid alert rule (``search:<name>``); a taken name is refused.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from crawler.alerts.searches import SearchAlertRule, rule_name
from crawler.config import AlertMatch
from crawler.search.query import parse
from crawler.web import schemas
from storage import saved_searches
from storage.db import session_scope
from storage.models import SavedSearch


class SaveRefused(Exception):
    """Why a search was not saved: ``status`` (HTTP 409 for a taken name, else 422), ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def save_search(engine: Engine, body: schemas.SavedSearchIn, created_by: int | None) -> SavedSearch:
    """Store ``body`` as a saved search; ``SaveRefused`` when it cannot be."""
    if parse(body.query).is_empty:
        raise SaveRefused(422, "empty query")
    filters = body.filters.model_dump(exclude_defaults=True)
    if body.notify:
        _check_rule(body, filters)
    try:
        saved_searches.filter_from_json(filters)
    except ValueError as error:
        raise SaveRefused(422, str(error)) from None
    try:
        with session_scope(engine, write=True) as session:
            return saved_searches.add_saved_search(
                session=session,
                name=body.name,
                query=body.query,
                filters=filters,
                created_by=created_by,
                notify=body.notify,
                alert_mode=body.alert_mode,
            )
    except (saved_searches.DuplicateName, exc.IntegrityError):
        raise SaveRefused(409, "a saved search with this name exists") from None


def _check_rule(body: schemas.SavedSearchIn, filters: dict[str, Any]) -> None:
    try:
        SearchAlertRule(
            name=rule_name(body.name),
            notify=body.notify,
            mode=body.alert_mode,
            match=AlertMatch(relevant=False),
            search_id=0,
            query=body.query,
            filters=filters,
        )
    except ValidationError as error:
        problem = error.errors()[0]
        raise SaveRefused(
            422, f"not an alert rule: {'.'.join(map(str, problem['loc']))}: {problem['msg']}"
        ) from None
