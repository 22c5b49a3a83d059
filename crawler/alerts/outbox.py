"""Writing alerts to the outbox in the transaction that stores their articles.

``ArticleAlerter`` is built once per crawl (``ArticleAlerter.for_crawl``, from the config and the
sources already baselined when the crawl starts) and called by ``CrawlStore.store_batch`` inside
its write transaction, after the new articles got their stories: for each new article of a
baselined source and each rule that matches it (``crawler.alerts.rules``), an alert keyed
``story:<id>`` with one delivery per channel of the rule. The key makes a repost of an alerted
story (in this batch, this crawl or any later one) add nothing. An instant rule's deliveries are
due at once, a digest rule's at its next ``digest_at`` in the config's time zone.

The rules are the config's ``alerts`` and the saved searches with channels
(``crawler.alerts.searches.with_saved_searches``, appended when the crawl starts), matched with
search's semantics.

A source not baselined when the crawl started does not alert during that crawl: its first crawl
stores its backlog silently (``RunRecorder`` marks it baselined when that crawl finishes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from crawler.alerts import channels as channel_keys
from crawler.alerts.keywords import KeywordMatcher
from crawler.alerts.message import excerpt
from crawler.alerts.rules import ArticleFacts, match_rule
from crawler.alerts.searches import SearchAlertRule, match_search
from crawler.config import AlertRule, Config, SourceConfig
from storage import alerts as outbox
from storage.models import NewArticle


def next_digest_time(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The next moment (after ``now``) the local clock in ``tz`` reads ``at``, in UTC."""
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz)
    return candidate.astimezone(UTC)


def _without_title(text: str, title: str | None) -> str:
    """The text without a first line that only repeats the title."""
    first, _, rest = text.partition("\n")
    return rest if title and first.strip() == title.strip() else text


@dataclass(frozen=True)
class StoredArticle:
    """A newly stored article and the story it joined."""

    article_id: int
    story_id: int
    article: NewArticle


class ArticleAlerter:
    """The alert rules of one crawl, applied to the articles it stores."""

    def __init__(
        self,
        rules: Sequence[AlertRule],
        *,
        aliases: Iterable[Sequence[str]] = (),
        sources: Iterable[SourceConfig] = (),
        baselined: Iterable[str] = (),
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.rules = list(rules)
        self.matcher = KeywordMatcher(aliases)
        self.sources: Mapping[str, SourceConfig] = {s.id: s for s in sources}
        self.baselined = set(baselined)
        self.tz = ZoneInfo(timezone)
        self._channels = {rule.name: channel_keys.channels(rule.notify) for rule in self.rules}

    @classmethod
    def for_crawl(cls, config: Config, baselined: Iterable[str]) -> ArticleAlerter:
        return cls(
            config.alerts,
            aliases=config.aliases,
            sources=config.sources,
            baselined=baselined,
            timezone=config.timezone,
        )

    def facts(self, article: NewArticle, story_first_seen: datetime | None = None) -> ArticleFacts:
        source = self.sources.get(article.source_id)
        return ArticleFacts(
            title=article.title,
            text=article.text,
            source_id=article.source_id,
            fetched_at=article.fetched_at,
            source_tags=tuple(source.tags) if source else (),
            topics=tuple(article.topics or ()),
            relevant=article.relevant,
            flags=tuple(article.flags or ()),
            published_on=article.published_on,
            published_at=article.published_at,
            story_first_seen=story_first_seen,
            language=article.language,
        )

    def payload(self, article: NewArticle) -> dict[str, object]:
        """What the message needs of the article, kept with the alert (the article row may be
        re-extracted or deleted before a digest goes out)."""
        source = self.sources.get(article.source_id)
        return {
            "title": article.title,
            "url": article.url,
            "source_id": article.source_id,
            "source_name": source.name if source else article.source_id,
            "published_on": article.published_on.isoformat() if article.published_on else None,
            "published_at": article.published_at.isoformat() if article.published_at else None,
            "fetched_at": article.fetched_at.isoformat(),
            "excerpt": excerpt(_without_title(article.text, article.title)),
        }

    def write(
        self, session: Session, stored: Sequence[StoredArticle], now: datetime | None = None
    ) -> int:
        """Add the alerts of newly stored articles in ``session``'s transaction; returns how
        many alerts were new."""
        if not self.rules:
            return 0
        now = now or datetime.now(UTC)
        alerting = [item for item in stored if item.article.source_id in self.baselined]
        if not alerting:
            return 0
        first_seen = outbox.stories_first_seen(
            session=session, story_ids=[item.story_id for item in alerting]
        )
        added = 0
        for item in alerting:
            facts = self.facts(item.article, first_seen.get(item.story_id))
            for rule in self.rules:
                if isinstance(rule, SearchAlertRule):  # a saved search: search's semantics
                    matched = match_search(rule, facts, now=now, tz=self.tz, story_id=item.story_id)
                else:
                    matched = match_rule(rule, facts, matcher=self.matcher, now=now, tz=self.tz)
                if matched is None:
                    continue
                due = (
                    next_digest_time(now, rule.digest_at, self.tz) if rule.mode == "digest" else now
                )
                alert_id = outbox.add_alert(
                    session=session,
                    rule=rule.name,
                    dedupe_key=f"story:{item.story_id}",
                    channels=self._channels[rule.name],
                    due_at=due,
                    kind="article",
                    mode=rule.mode,
                    article_id=item.article_id,
                    story_id=item.story_id,
                    source_id=item.article.source_id,
                    matched=matched,
                    payload=self.payload(item.article),
                )
                added += alert_id is not None
        return added
