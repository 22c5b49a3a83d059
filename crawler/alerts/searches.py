"""Saved searches as alert rules: a saved search with ``notify`` channels alerts on the new
articles it would find, like a rule of the config's ``alerts``.

``with_saved_searches(config, session=)`` is the configuration with one ``SearchAlertRule`` per
such saved search appended to ``config.alerts``, named ``search:<name>``: the crawl's
``ArticleAlerter`` and the dispatcher both work from it, so a saved search's alerts are written
to the outbox in the transaction storing their articles and delivered like any rule's.

``match_search`` decides with the semantics of ``forumwatch search`` (``crawler.search.query``):
every clause of the query holds (a term holds when the title or text contains it, ASCII letters
ignoring case; a negated term when neither does) and the saved filters hold as a search applies
them (``storage.search.ArticleFilter``: sources, tags, dates, relevance, topics, flags,
languages, stories). As with every rule, an article older than ``max_age`` (3 days) never
alerts, nor does one carrying a quality flag of ``rules.BAD_FLAGS`` (spam, mojibake ...) unless
the search's ``flags`` filter asks for that flag.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlmodel import Session

from crawler.alerts.rules import ArticleFacts, blocking_flags, published_moment
from crawler.config import AlertMatch, AlertRule, Config
from crawler.search.query import Query, parse
from crawler.search.snippets import fold
from storage import saved_searches
from storage.models import SavedSearch
from storage.search import ArticleFilter

logger = logging.getLogger(__name__)

RULE_PREFIX: Final = "search:"


class SearchAlertRule(AlertRule):
    """An alert rule made from a saved search: its query and filters replace ``match``."""

    search_id: int
    query: str
    filters: dict[str, Any] = {}

    def parsed(self) -> tuple[Query, ArticleFilter]:
        return parse(self.query), saved_searches.filter_from_json(self.filters)


def rule_name(search_name: str) -> str:
    """The alert rule name of a saved search (alerts and ``/feeds/rule/`` use it)."""
    return RULE_PREFIX + search_name


def search_rule(row: SavedSearch) -> SearchAlertRule | None:
    """The alert rule of a saved search; None when it has no (valid) channel."""
    if not row.notify or row.id is None:
        return None
    try:
        return SearchAlertRule(
            name=rule_name(row.name)[:100],
            notify=list(row.notify),
            mode="digest" if row.alert_mode == "digest" else "instant",
            match=AlertMatch(relevant=False),
            search_id=row.id,
            query=row.query,
            filters=dict(row.filters or {}),
        )
    except ValidationError as error:
        logger.warning("saved search %s is no alert rule: %s", row.id, error.errors()[0]["msg"])
        return None


def with_saved_searches(config: Config, *, session: Session) -> Config:
    """``config`` with the alert rules of the saved searches that have channels appended."""
    names = {rule.name for rule in config.alerts}
    rules = [
        rule
        for rule in map(search_rule, saved_searches.alerting_searches(session=session))
        if rule is not None and rule.name not in names
    ]
    if not rules:
        return config
    return config.model_copy(update={"alerts": [*config.alerts, *rules]})


def contains(facts: ArticleFacts, term: str) -> bool:
    """Whether the title or text holds ``term`` as a search finds it (``term`` normalized)."""
    return term in fold(facts.title or "") or term in fold(facts.text or "")


def match_query(query: Query, facts: ArticleFacts) -> list[str] | None:
    """The positive terms found when every clause holds, else None (an empty query: [])."""
    found: list[str] = []
    for clause in query.clauses:
        holds = False
        for term in clause:
            present = contains(facts, term.text)
            if present != term.negated:
                holds = True
                if present:
                    found.append(term.text)
        if not holds:
            return None
    return list(dict.fromkeys(found))


def match_filters(filters: ArticleFilter, facts: ArticleFacts, story_id: int | None) -> bool:
    """Whether the article passes ``filters`` as ``storage.search`` applies them."""
    if filters.sources and facts.source_id not in filters.sources:
        return False
    if filters.tags and not set(filters.tags) & set(facts.source_tags):
        return False
    if filters.relevant is not None and facts.relevant is not filters.relevant:
        return False
    if filters.languages and facts.language not in filters.languages:
        return False
    if filters.story_ids and story_id not in filters.story_ids:
        return False
    if filters.topics and not set(filters.topics) & set(facts.topics):
        return False
    if filters.flags and not set(filters.flags) & set(facts.flags):
        return False
    day = facts.published_on
    if day is None:  # an undated article counts by its fetch date (UTC)
        day = _aware(facts.fetched_at).date()
    if filters.since is not None and day < filters.since:
        return False
    return filters.until is None or day <= filters.until


def match_search(
    rule: SearchAlertRule,
    facts: ArticleFacts,
    *,
    now: datetime,
    tz: ZoneInfo,
    story_id: int | None = None,
) -> list[str] | None:
    """The terms that matched when the saved search of ``rule`` finds the article, else None."""
    query, filters = rule.parsed()
    if blocking_flags(filters.flags, facts.flags):
        return None
    if not match_filters(filters, facts, story_id):
        return None
    if _aware(now) - published_moment(facts, tz) > rule.max_age:
        return None
    first_seen = facts.story_first_seen
    if first_seen is not None and _aware(now) - _aware(first_seen) > rule.max_age:
        return None
    return match_query(query, facts)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


__all__ = [
    "RULE_PREFIX",
    "SearchAlertRule",
    "match_search",
    "rule_name",
    "search_rule",
    "with_saved_searches",
]
