"""The HTTP API's response and request models: the OpenAPI schema's vocabulary.

Article, story, source and alert answers are the records of ``crawler.records`` (what the CLI's
``--json`` prints) validated by these models, so an article in the API equals its line in
``forumwatch articles --json``. Crawled values (titles, texts, URLs) are plain strings: data,
never markup.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Event(BaseModel):
    name: str | None
    city: str | None
    start: str | None
    end: str | None


class ArticleOut(BaseModel):
    """An article as ``forumwatch articles --json`` prints it."""

    id: int
    url: str
    canonical_url: str | None
    source: str
    title: str | None
    text: str | None
    published_at: str | None = Field(
        description="YYYY-MM-DD when the page gives a date only, else ISO 8601 with +08:00"
    )
    author: str | None
    origin: str | None
    site_name: str | None
    language: str | None
    fetched_at: str | None
    flags: list[str]
    relevant: bool | None
    relevance_score: float | None
    topics: list[str]
    event: Event | None
    story_id: int | None


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )


class SearchHitOut(ArticleOut):
    """A search result as ``forumwatch search --json`` prints it."""

    score: float | None
    snippet: str
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets of the matched terms in `snippet`"
    )
    title_highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) offsets of the matched terms in `title`"
    )


class SearchPage(BaseModel):
    items: list[SearchHitOut]
    offset: int
    next_cursor: str | None


class Sibling(BaseModel):
    id: int
    source: str
    url: str
    title: str | None
    story_id: int | None


class AttachmentOut(BaseModel):
    url: str
    title: str | None
    content_type: str | None
    size: int | None


class ArticleDetail(ArticleOut):
    """An article with its story's other articles and its attachments (``show --json``)."""

    siblings: list[Sibling]
    attachments: list[AttachmentOut]


class StoryOriginal(BaseModel):
    id: int
    source: str
    url: str


class StoryOut(BaseModel):
    """A story as ``forumwatch stories --json`` prints it."""

    id: int
    title: str | None
    first_seen_at: str
    earliest_published: str | None
    original: StoryOriginal | None = Field(description="The likely original among its articles")
    sources: list[str]
    source_count: int
    article_count: int
    article_ids: list[int]
    event_group: int | None


class StoryArticle(BaseModel):
    id: int
    source: str
    url: str
    title: str | None
    published_at: str | None
    fetched_at: str | None
    is_original: bool


class StoryDetail(StoryOut):
    """A story with every article (every site carrying it)."""

    articles: list[StoryArticle]


class SourceOut(BaseModel):
    """A configured source with its health, as ``forumwatch sources --json`` prints it."""

    id: str
    name: str
    state: str
    state_since: str | None
    reason: str | None
    last_run: str | None
    status: str
    last_success: str | None
    last_new_article: str | None
    new_in_last_run: int
    failed_in_last_run: int
    articles: int
    errors: dict[str, int]


class DeliveryOut(BaseModel):
    channel: str
    label: str
    state: str
    attempts: int
    next_attempt_at: str | None
    sent_at: str | None
    last_error: str | None


class AlertOut(BaseModel):
    """An alert with its deliveries, as ``forumwatch alerts --json`` prints it."""

    id: int
    rule: str
    kind: str
    mode: str
    source_id: str | None
    story_id: int | None
    matched: list[str]
    created_at: str | None
    payload: dict[str, Any]
    deliveries: list[DeliveryOut]


class Filters(BaseModel):
    """The filters of a search (``forumwatch search``'s options); empty means any."""

    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=list, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=200)
    since: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    until: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    relevant: bool | None = None
    topics: list[str] = Field(default_factory=list, max_length=200)
    flags: list[str] = Field(default_factory=list, max_length=200)
    languages: list[str] = Field(default_factory=list, max_length=200)
    story_ids: list[int] = Field(default_factory=list, max_length=200)


class SavedSearchIn(BaseModel):
    """A search to save; with ``notify`` channels it is also an alert rule."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")
    query: str = Field(min_length=1, max_length=2000)
    filters: Filters = Field(default_factory=Filters)
    notify: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Apprise URLs (as `alerts[].notify`): the saved search becomes an alert rule",
    )
    alert_mode: Literal["instant", "digest"] = "instant"


class SavedSearchOut(BaseModel):
    id: int
    name: str
    query: str
    filters: Filters
    created_at: str
    created_by: int | None
    notify: list[str] = Field(description="The channels, secrets masked")
    alert_mode: str
    alert_rule: str | None = Field(description="The alert rule's name when it is one")
    feed: str = Field(description="Path of its Atom feed")
