"""The crawl's view of the database: one object the spider, pipelines and extensions share.

Holds the one engine of a crawl process and wraps the storage queries the crawl needs, each in its
own short transaction (writes take the SQLite lock up front). Nothing a crawl needs lives only in
memory: which URLs are known is asked of the database, so several crawler processes can share it.
Reads the ``FORUMWATCH_DATABASE_URL`` setting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from crawler.config import SourceConfig
from storage import queries
from storage.db import get_engine, session_scope, upgrade_schema
from storage.models import NewArticle, NewAttachment, UrlRecord


@dataclass
class StoredBatch:
    """What one ``store_batch`` wrote."""

    article_ids: list[int | None]
    """Per article, in order: its new id, or None when it was already stored."""
    new_attachments: Counter[str]
    """How many attachments were new, per source id."""


class CrawlStore:
    """Database operations of one crawl process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, database_url: str) -> CrawlStore:
        engine = get_engine(database_url)
        upgrade_schema(engine)
        return cls(engine)

    def sync_sources(self, sources: Iterable[SourceConfig]) -> None:
        with session_scope(self.engine, write=True) as session:
            queries.sync_sources(session=session, sources=sources)

    def start_runs(
        self, source_ids: Iterable[str], stale_after: timedelta | None = None
    ) -> dict[str, int]:
        """Open a run per source; runs of these sources left 'running' for longer than
        ``stale_after`` (a killed crawl) are marked 'interrupted' first."""
        ids = list(source_ids)
        with session_scope(self.engine, write=True) as session:
            if stale_after is not None:
                queries.abandon_stale_runs(
                    session=session, source_ids=ids, started_before=datetime.now(UTC) - stale_after
                )
            return {sid: queries.start_run(session=session, source_id=sid) for sid in ids}

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: Mapping[str, int],
        errors: Sequence[Mapping[str, str]],
    ) -> None:
        with session_scope(self.engine, write=True) as session:
            queries.finish_run(
                session=session, run_id=run_id, status=status, counts=counts, errors=errors
            )

    def unseen(self, canonical_urls: Sequence[str]) -> list[str]:
        if not canonical_urls:
            return []
        with session_scope(self.engine) as session:
            return queries.unseen_urls(
                session=session, canonical_urls=canonical_urls, now=datetime.now(UTC)
            )

    def record_urls(self, records: Sequence[UrlRecord]) -> None:
        if records:
            with session_scope(self.engine, write=True) as session:
                queries.record_urls(session=session, records=records, now=datetime.now(UTC))

    def store_articles(self, articles: Sequence[NewArticle]) -> list[int | None]:
        if not articles:
            return []
        with session_scope(self.engine, write=True) as session:
            return queries.store_articles(session=session, articles=articles)

    def store_attachments(self, attachments: Sequence[NewAttachment]) -> int:
        if not attachments:
            return 0
        with session_scope(self.engine, write=True) as session:
            return queries.store_attachments(session=session, attachments=attachments)

    def store_batch(
        self,
        articles: Sequence[tuple[NewArticle, Sequence[NewAttachment]]],
        attachments: Sequence[NewAttachment] = (),
    ) -> StoredBatch:
        """Store articles with the attachments they link to, and other attachments, in one
        transaction: a crawl killed at any moment never leaves an article stored without its
        attachments (a stored article is never fetched again, so they would be lost for good)."""
        if not articles and not attachments:
            return StoredBatch([], Counter())
        new: Counter[str] = Counter()
        with session_scope(self.engine, write=True) as session:
            ids = (
                queries.store_articles(session=session, articles=[a for a, _ in articles])
                if articles
                else []
            )
            linked = [
                attachment.model_copy(update={"article_id": article_id})
                for (_, found), article_id in zip(articles, ids, strict=True)
                if article_id is not None
                for attachment in found
            ]
            # One row per URL and source; an article's link wins over a bare sighting.
            by_source: dict[str, dict[str, NewAttachment]] = {}
            for attachment in [*attachments, *linked]:
                by_source.setdefault(attachment.source_id, {})[attachment.canonical_url] = (
                    attachment
                )
            for source_id, unique in by_source.items():
                new[source_id] += queries.store_attachments(
                    session=session, attachments=list(unique.values())
                )
        return StoredBatch(ids, new)
