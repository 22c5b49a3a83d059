"""Whether an alert rule matches a newly stored article, pure: no database, no settings read.

A rule matches when every condition it gives holds (``AlertRule.match``):

- the article is relevant (``relevant: true``, the default; ``false`` lets any article through);
- it carries none of the ``BAD_FLAGS`` quality flags, unless the rule lists them in ``flags``
  (``flags: [any]`` allows every flag). The bad flags are the ones that say the text is not a
  trustworthy article: ``spam_injection`` (gambling SEO spam in the page), ``encoding_damage``
  (mojibake left after repair), ``empty_body``, ``boilerplate_only`` (a list or chrome page, no
  prose) and ``foreign_language``. Notes such as ``repost``, ``no_date``, ``short_body``,
  ``attachment_only`` or ``traditional_converted`` describe real articles and never block;
- its source is one of ``sources`` / carries one of ``tags`` / it has one of ``topics`` (each
  only when given);
- its keywords match (``crawler.alerts.keywords``);
- it is not older than ``max_age``: its age is counted from ``published_at``, else from the end
  of its ``published_on`` day in the config's time zone (the page gives no hour, so the article
  is given the benefit of the whole day), else from when it was first seen (``fetched_at``);
  and an article joining a story first seen longer ago than ``max_age`` (a fresh repost of old
  news, or of a story stored silently by a baseline long ago) does not alert either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crawler.alerts.keywords import KeywordMatcher
from crawler.config import AlertRule

BAD_FLAGS = frozenset(
    {"spam_injection", "encoding_damage", "empty_body", "boilerplate_only", "foreign_language"}
)
"""Quality flags that keep an article from alerting unless a rule allows them."""
ANY_FLAG = "any"


@dataclass(frozen=True)
class ArticleFacts:
    """What the rules look at in a newly stored article."""

    title: str | None
    text: str
    source_id: str
    fetched_at: datetime
    source_tags: Sequence[str] = ()
    topics: Sequence[str] = ()
    relevant: bool | None = None
    flags: Sequence[str] = ()
    published_on: date | None = None
    published_at: datetime | None = None
    story_first_seen: datetime | None = None
    """When the article's story was first seen: a repost joining an old story is as old."""
    language: str | None = None


def published_moment(facts: ArticleFacts, tz: ZoneInfo) -> datetime:
    """The moment an article's age is counted from (see the module docstring)."""
    if facts.published_at is not None:
        return _aware(facts.published_at)
    if facts.published_on is not None:
        end_of_day = datetime.combine(facts.published_on + timedelta(days=1), time(), tzinfo=tz)
        return end_of_day.astimezone(UTC)
    return _aware(facts.fetched_at)


def blocking_flags(allowed: Sequence[str], flags: Sequence[str]) -> list[str]:
    """The article's flags that keep it from alerting under a rule allowing ``allowed``."""
    if ANY_FLAG in allowed:
        return []
    return [flag for flag in flags if flag in BAD_FLAGS and flag not in allowed]


def match_rule(
    rule: AlertRule,
    facts: ArticleFacts,
    *,
    matcher: KeywordMatcher,
    now: datetime,
    tz: ZoneInfo,
) -> list[str] | None:
    """The keywords that matched (maybe none) when ``rule`` matches the article, else None."""
    match = rule.match
    if match.relevant and not facts.relevant:
        return None
    if blocking_flags(match.flags, facts.flags):
        return None
    if match.sources and facts.source_id not in match.sources:
        return None
    if match.tags and not set(match.tags) & set(facts.source_tags):
        return None
    if match.topics and not set(match.topics) & set(facts.topics):
        return None
    if _aware(now) - published_moment(facts, tz) > rule.max_age:
        return None
    if (
        facts.story_first_seen is not None
        and _aware(now) - _aware(facts.story_first_seen) > rule.max_age
    ):
        return None
    return matcher.match(match.keywords, facts.title, facts.text)


def _aware(moment: datetime) -> datetime:
    """Stored datetimes are UTC; SQLite hands them back naive."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
