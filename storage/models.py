"""Database tables and the plain records callers hand to ``storage.queries`` and
``storage.story_index``.

Tables are SQLModel classes (``table=True``) with plural snake_case names. Every datetime column
is a ``datetime`` field, which SQLModel maps to its ``UTCDateTime`` type decorator: aware values
are stored as UTC and read back as aware UTC datetimes, on SQLite too (naive values are refused
when a statement runs). A publication date without a time of day stays a ``date``.

Model families follow the ``XBase -> X(table=True)`` / ``NewX`` pattern so the input records and
the tables share one field list. The schema itself is created by the Alembic migrations in
``storage/migrations``; keep them in step with this module.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal, get_args

from sqlalchemy import JSON, BigInteger, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Named constraints and indexes, so later migrations (batch mode on SQLite) can refer to them.
NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

UrlState = Literal["article", "attachment", "gone", "error", "redirect", "not_article"]
URL_STATES: Final = frozenset(get_args(UrlState))
# States that a later failure or redirect must never overwrite: the content is already stored.
PROTECTED_URL_STATES: Final = frozenset({"article", "attachment"})

RunStatus = Literal["running", "ok", "partial", "failed", "interrupted", "timeout"]
RUN_STATUSES: Final = frozenset(get_args(RunStatus))
RUN_COUNTERS: Final = ("list_pages", "new_articles", "known_articles", "failed", "attachments")
MAX_RUN_ERRORS: Final = 50

WalkEnd = Literal["end", "limit", "cycle"]
WALK_ENDS: Final = frozenset(get_args(WalkEnd))


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Source(SQLModel, table=True):
    """A watched site, mirrored from the YAML configuration (``sources[].id`` is the key)."""

    __tablename__ = "sources"

    id: str = Field(primary_key=True)
    name: str
    start_urls: list[str] = Field(default_factory=list, sa_type=JSON)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CrawlRun(SQLModel, table=True):
    """One crawl of one source, with its counters and a sample of its errors."""

    __tablename__ = "crawl_runs"

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id", index=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = "running"
    host: str | None = None
    """The host name of the machine whose process runs the crawl."""
    pid: int | None = None
    """The crawl process's id on ``host``: a run whose process is gone was interrupted."""
    process_start: str | None = None
    """What tells that process from a later one given the same pid (boot id and start time)."""
    list_pages: int = 0
    new_articles: int = 0
    known_articles: int = 0
    failed: int = 0
    attachments: int = 0
    errors: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    counts: dict[str, int] | None = Field(default=None, sa_type=JSON)
    """Every counter of the run by name (the columns above and the rest: robots_unavailable,
    refused, blocked, list_links, weak_bodies ...); None for runs recorded before migration 0006."""


class SourceWalk(SQLModel, table=True):
    """A list chain walked to its end once: a source's start URL and the pages its next-page
    links lead to, up to the last page, ``max_list_pages`` or a page seen before.

    Until its chain has a row, every crawl walks it to the end whatever pages it has seen before,
    so a backfill killed half-way resumes; afterwards a crawl stops at the first list page with
    nothing unseen. A chain stopped by ``max_list_pages`` is walked again once the limit rises.
    """

    __tablename__ = "source_walks"

    source_id: str = Field(foreign_key="sources.id", primary_key=True)
    start_url: str = Field(primary_key=True)
    """The canonical start URL."""
    completed_at: datetime
    ended_by: str
    """What ended the walk (``WalkEnd``): no next page, the page limit, or a page seen before."""
    pages: int
    """List pages the walk read."""
    max_list_pages: int
    """The source's page limit when it was walked."""


class ArticleContent(SQLModel):
    """What extraction produces from a page; also the fields ``reextract`` rewrites."""

    title: str | None = None
    text: str = Field(sa_type=Text)
    published_on: date | None = Field(default=None, index=True)
    """The calendar date the page states, in the site's own time zone."""
    published_at: datetime | None = None
    """Set only when the page gives a time of day."""
    author: str | None = None
    origin: str | None = None
    site_name: str | None = None
    language: str | None = None
    encoding: str | None = None
    content_hash: str = Field(index=True)
    """Hex SHA-256 of ``text``, computed by the caller."""
    extracted_at: datetime
    flags: list[str] = Field(default_factory=list, sa_type=JSON)
    """Quality flag codes (``crawler.analyze.quality``): spam_injection, encoding_damage, no_date ..."""
    relevant: bool | None = Field(default=None, index=True)
    """A forum/summit/conference article, by the relevance scorer; None before scoring."""
    relevance_score: float | None = None
    topics: list[str] = Field(default_factory=list, sa_type=JSON)
    """Taxonomy topic ids (``crawler/data/topics.yaml``)."""
    event_name: str | None = None
    event_city: str | None = None
    event_start: date | None = Field(default=None, index=True)
    event_end: date | None = None


class ArticleBase(ArticleContent):
    """An article's columns apart from its id."""

    story_id: int | None = Field(
        default=None, foreign_key="stories.id", index=True, ondelete="SET NULL"
    )
    """The story (one piece of news, however many sites carry it) the article belongs to."""
    source_id: str = Field(foreign_key="sources.id", index=True)
    url: str
    """The final URL fetched (after redirects)."""
    canonical_url: str = Field(unique=True)
    fetched_at: datetime = Field(index=True)
    crawl_run_id: int | None = Field(default=None, foreign_key="crawl_runs.id")


class Article(ArticleBase, table=True):
    """A stored article; its raw HTML lives in ``ArticleHtml`` so listings never load it."""

    __tablename__ = "articles"

    id: int | None = Field(default=None, primary_key=True)


class Story(SQLModel, table=True):
    """One piece of news: an article and its reposts on other sites (``storage.story_index``).

    What a story holds (articles, sources, earliest date, likely original) is read from its
    articles, never copied here, except ``listing_date``, which listings order by: it is
    recomputed from the articles (``story_index.refresh_listing_dates``) by every write that
    changes a story's articles or their dates.
    """

    __tablename__ = "stories"
    __table_args__ = (Index("ix_stories_listing", "listing_date", "first_seen_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    first_seen_at: datetime = Field(default_factory=utcnow, index=True)
    event_group: int | None = Field(default=None, index=True)
    """Stories reporting the same event share this (the id of the event's first story)."""
    listing_date: date | None = None
    """The earliest day among the story's articles: an article's stated publication day, else
    the UTC day it was first fetched; None for a story without articles (never listed)."""


class ArticleSignature(SQLModel, table=True):
    """An article's MinHash signature (``crawler.analyze.dedup``), for confirming near-duplicates."""

    __tablename__ = "article_signatures"

    article_id: int = Field(primary_key=True, foreign_key="articles.id", ondelete="CASCADE")
    signature: bytes = Field(sa_type=LargeBinary)
    shingles: int


class LshBand(SQLModel, table=True):
    """The LSH index: one row per (band key, article); articles sharing a key are candidates."""

    __tablename__ = "lsh_bands"
    __table_args__ = {"sqlite_with_rowid": False}

    band_key: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    article_id: int = Field(
        primary_key=True,
        foreign_key="articles.id",
        ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )


class NewArticle(ArticleBase):
    """An article to store, with its compressed page and how a redirect reached it."""

    signature: bytes | None = None
    """MinHash values of the text (``crawler.analyze.dedup.Signature.to_bytes``); None when too short."""
    shingles: int = 0

    raw_html_compressed: bytes
    """zlib-compressed page bytes, compressed by the caller."""
    content_type: str | None = None
    header_charset: str | None = None
    request_canonical_url: str | None = None
    """The URL as linked, when a redirect moved it elsewhere."""


class ArticleUpdate(ArticleContent):
    """New extraction results for a stored article."""

    id: int
    signature: bytes | None = None
    shingles: int = 0


class ArticleHtml(SQLModel, table=True):
    """The raw page of an article, zlib-compressed."""

    __tablename__ = "article_html"

    article_id: int = Field(primary_key=True, foreign_key="articles.id", ondelete="CASCADE")
    raw_html: bytes = Field(sa_type=LargeBinary)
    content_type: str | None = None
    header_charset: str | None = None


class AttachmentBase(SQLModel):
    """An attachment's columns apart from its id."""

    source_id: str = Field(foreign_key="sources.id", index=True)
    url: str
    canonical_url: str = Field(unique=True)
    article_id: int | None = Field(
        default=None, foreign_key="articles.id", index=True, ondelete="SET NULL"
    )
    title: str | None = None
    """The link text."""
    content_type: str | None = None
    size: int | None = Field(default=None, sa_type=BigInteger)
    discovered_at: datetime = Field(default_factory=utcnow)


class Attachment(AttachmentBase, table=True):
    """A document (PDF, DOC, XLS, image...) linked from a source's pages."""

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)


class NewAttachment(AttachmentBase):
    """An attachment to store."""


class CrawledUrl(SQLModel, table=True):
    """The crawler's memory of every URL it dealt with, so a routine crawl never refetches one."""

    __tablename__ = "crawled_urls"

    canonical_url: str = Field(primary_key=True)
    source_id: str = Field(foreign_key="sources.id", index=True)
    state: str
    http_status: int | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    first_seen_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    retry_after: datetime | None = None
    url: str | None = None
    """The URL as linked, kept for failures so a later crawl can retry it (the canonical URL
    may have lost a folded host prefix)."""


HealthState = Literal["ok", "failing", "blocked", "broken", "degraded", "quiet"]
HEALTH_STATES: Final = frozenset(get_args(HealthState))


class SourceHealth(SQLModel, table=True):
    """A source's current health state, re-judged after each of its runs."""

    __tablename__ = "source_health"

    source_id: str = Field(foreign_key="sources.id", primary_key=True)
    state: str = "ok"
    """One of ``HEALTH_STATES``."""
    since: datetime = Field(default_factory=utcnow)
    """When the source entered ``state``."""
    reason: str | None = None
    """Why, in words, for operators."""
    checked_at: datetime = Field(default_factory=utcnow)
    baseline_at: datetime | None = None
    """When the source's first crawl finished: until then, nothing it stores alerts."""
    last_success_at: datetime | None = None
    last_new_article_at: datetime | None = None
    consecutive_failures: int = 0


AlertKind = Literal["article", "health", "test"]
AlertMode = Literal["instant", "digest"]
DeliveryState = Literal["pending", "sending", "sent", "dead"]
DELIVERY_STATES: Final = frozenset(get_args(DeliveryState))


class Alert(SQLModel, table=True):
    """The outbox: one row per rule and story (or health change), written in the transaction
    that stores what it is about; ``AlertDelivery`` rows track each channel."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("rule", "dedupe_key", name="uq_alerts_rule_dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(index=True)
    """The alert rule's name (``alerts[].name``), or the health rule."""
    kind: str = "article"
    """One of ``AlertKind``."""
    mode: str = "instant"
    """One of ``AlertMode``."""
    dedupe_key: str
    """What makes an alert one: ``story:<id>`` for articles, so a repost never alerts twice."""
    article_id: int | None = Field(
        default=None, foreign_key="articles.id", index=True, ondelete="SET NULL"
    )
    story_id: int | None = Field(default=None, index=True)
    source_id: str | None = Field(default=None, index=True)
    matched: list[str] = Field(default_factory=list, sa_type=JSON)
    """The keywords (or other conditions) that matched."""
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """Whatever else the message needs (a health change: old and new state, reason)."""
    created_at: datetime = Field(default_factory=utcnow, index=True)


class AlertDelivery(SQLModel, table=True):
    """The delivery of one alert to one channel (an Apprise URL of its rule)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel", name="uq_alert_deliveries_alert_id"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", index=True, ondelete="CASCADE")
    channel: str
    """A stable key of the channel: a hash of its Apprise URL (which may hold secrets)."""
    channel_label: str
    """The channel's URL with any password or token masked, for display."""
    state: str = Field(default="pending", index=True)
    """One of ``DELIVERY_STATES``."""
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    """When it is due: now for instant alerts, the digest time for digests, later after a failure."""
    last_error: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = None


class ServiceLease(SQLModel, table=True):
    """Who runs the service on a database: a lease renewed by a heartbeat, taken over once it
    expires, so a killed service's lock never outlives it for long."""

    __tablename__ = "service_leases"

    name: str = Field(primary_key=True)
    holder: str
    """A unique id of the holding process (host, pid, start)."""
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime


class RobotsCache(SQLModel, table=True):
    """A site's robots.txt as last fetched, reused across crawls for up to a day (RFC 9309)."""

    __tablename__ = "robots_cache"

    origin: str = Field(primary_key=True)
    """``scheme://host[:port]`` the file belongs to."""
    status: int
    body: str = Field(sa_type=Text)
    fetched_at: datetime
    expires_at: datetime


class HttpValidator(SQLModel, table=True):
    """The ETag and Last-Modified a list page was last served with, for conditional requests."""

    __tablename__ = "http_validators"

    canonical_url: str = Field(primary_key=True)
    source_id: str = Field(foreign_key="sources.id", index=True)
    etag: str | None = None
    last_modified: str | None = None
    checked_at: datetime


TokenRole = Literal["reader", "admin"]
TOKEN_ROLES: Final = frozenset(get_args(TokenRole))


class ApiToken(SQLModel, table=True):
    """An HTTP API token: only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    role: str = "reader"
    """One of ``TOKEN_ROLES``: a reader reads, an admin also changes things."""
    token_hash: str = Field(unique=True)
    """Hex SHA-256 of the token."""
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class SavedSearch(SQLModel, table=True):
    """A query with its filters, saved by an analyst; with ``notify`` channels it is also an
    alert rule (named ``search:<name>``)."""

    __tablename__ = "saved_searches"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    query: str = Field(sa_type=Text)
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """The filters of ``storage.search.ArticleFilter`` by name (dates as ISO strings)."""
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="api_tokens.id", ondelete="SET NULL")
    notify: list[str] = Field(default_factory=list, sa_type=JSON)
    """Apprise URLs: not empty makes the saved search an alert rule."""
    alert_mode: str = "instant"
    """``instant`` or ``digest`` (see ``AlertRule.mode``)."""


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A configured source, as ``sync_sources`` mirrors it into ``sources``."""

    id: str
    name: str
    start_urls: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """An article's entry in the story index, for ``story_index.add_to_index``."""

    article_id: int
    signature: bytes
    """MinHash values, as ``crawler.analyze.dedup.Signature.to_bytes`` writes them."""
    shingles: int
    """How many distinct shingles the text has (for the containment estimate)."""
    band_keys: Sequence[int]
    """The signature's LSH band keys (``crawler.analyze.dedup.band_keys``)."""


@dataclass(frozen=True, slots=True)
class UrlRecord:
    """What happened to one URL, for ``record_urls``."""

    canonical_url: str
    source_id: str
    state: str
    """One of ``URL_STATES`` (see ``UrlState``); checked by ``record_urls``."""
    http_status: int | None = None
    error: str | None = None
    url: str | None = None
    """The URL as requested, when it differs from the canonical one (kept for retries)."""


@dataclass(slots=True)
class SourceOverview:
    """A source with its latest crawl run and how many articles it has."""

    source: Source
    last_run: CrawlRun | None
    article_count: int
