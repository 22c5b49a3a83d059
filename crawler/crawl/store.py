"""The crawl's view of the database: one object the crawl's components share.

Holds the one engine of a crawl process and wraps the storage queries the crawl needs, each in its
own short transaction (writes take the SQLite lock up front). Nothing a crawl needs lives only in
memory: which URLs are known is asked of the database, so several crawler processes can share it.
Components get it with ``CrawlStore.of(crawler)``, built once per crawler from its settings
``FORUMWATCH_DATABASE_URL`` and ``FORUMWATCH_URL_RETRY_BASE`` (seconds); the spider never does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from crawler.alerts.outbox import ArticleAlerter, StoredArticle
from crawler.alerts.searches import with_saved_searches
from crawler.config import Config, SourceConfig
from crawler.crawl import processes
from crawler.crawl.processes import ProcessStamp
from crawler.discover.urls import canonicalize
from storage import alerts, http_cache, polls, queries
from storage.db import get_engine, session_scope, upgrade_schema
from storage.http_cache import CachedRobots, Validators
from storage.models import NewArticle, NewAttachment, SourceRecord, SourceWalk, UrlRecord


def source_record(source: SourceConfig) -> SourceRecord:
    """What the database keeps of a configured source."""
    return SourceRecord(
        id=source.id, name=source.name, start_urls=tuple(source.start_urls), tags=tuple(source.tags)
    )


_ON_CRAWLER = "_forumwatch_store"


@dataclass
class StoredBatch:
    """What one ``store_batch`` wrote."""

    article_ids: list[int | None]
    """Per article, in order: its new id, or None when it was already stored."""
    new_attachments: Counter[str]
    """How many attachments were new, per source id."""


class CrawlStore:
    """Database operations of one crawl process."""

    def __init__(self, engine: Engine, *, retry_base: timedelta = queries.RETRY_BASE) -> None:
        self.engine = engine
        self.retry_base = retry_base
        """The first delay before a failed URL is due again (it doubles with each failure)."""
        self.alerter: ArticleAlerter | None = None
        """The crawl's alert rules (set by ``RunRecorder`` when the crawl starts): new articles
        of baselined sources that match one get an alert in the transaction storing them."""

    @classmethod
    def open(cls, database_url: str, *, retry_base: timedelta = queries.RETRY_BASE) -> CrawlStore:
        engine = get_engine(database_url)
        upgrade_schema(engine)
        return cls(engine, retry_base=retry_base)

    @classmethod
    def of(cls, crawler: Any) -> CrawlStore:
        """The store of ``crawler``'s crawl, opened from its settings on first use and kept on
        the crawler, so its components share one store and one engine."""
        store: CrawlStore | None = getattr(crawler, _ON_CRAWLER, None)
        if store is None:
            settings = crawler.settings
            retry_base = timedelta(seconds=settings.getfloat("FORUMWATCH_URL_RETRY_BASE", 3600))
            store = cls.open(settings["FORUMWATCH_DATABASE_URL"], retry_base=retry_base)
            setattr(crawler, _ON_CRAWLER, store)
        return store

    def sync_sources(self, sources: Iterable[SourceConfig]) -> None:
        """Mirror the configured sources into the database."""
        records = [source_record(source) for source in sources]
        with session_scope(self.engine, write=True) as session:
            queries.sync_sources(session=session, sources=records)

    def start_runs(
        self,
        source_ids: Iterable[str],
        stale_after: timedelta | None = None,
        process: ProcessStamp | None = None,
    ) -> dict[str, int]:
        """Open a run per source, recording ``process`` as the one running it.

        Killed crawls are cleaned up first: runs of any source left 'running' by a process of
        this host that is gone are marked 'interrupted'; runs of these sources from other hosts
        (or not naming a process) are when they have been running longer than ``stale_after``.
        """
        ids = list(source_ids)
        with session_scope(self.engine, write=True) as session:
            if process is not None:
                dead = [
                    run_id
                    for run_id, pid, start in queries.running_runs(
                        session=session, host=process.host
                    )
                    if not processes.is_running(pid, start)
                ]
                queries.interrupt_runs(session=session, run_ids=dead)
            if stale_after is not None:
                queries.abandon_stale_runs(
                    session=session,
                    source_ids=ids,
                    started_before=datetime.now(UTC) - stale_after,
                    except_host=process.host if process is not None else None,
                )
            return polls.start_runs(
                session=session,
                source_ids=ids,
                host=process.host if process else None,
                pid=process.pid if process else None,
                process_start=process.start if process else None,
            )

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

    def finish_runs(
        self, runs: Sequence[tuple[int, str, Mapping[str, int], Sequence[Mapping[str, str]]]]
    ) -> None:
        """Close many runs, (run id, status, counts, errors) each, in one transaction."""
        if not runs:
            return
        with session_scope(self.engine, write=True) as session:
            for run_id, status, counts, errors in runs:
                queries.finish_run(
                    session=session, run_id=run_id, status=status, counts=counts, errors=errors
                )

    def baselined(self, source_ids: Iterable[str]) -> set[str]:
        """Which of these sources have had their baseline crawl."""
        with session_scope(self.engine) as session:
            return alerts.baselined(session, source_ids)

    def with_saved_searches(self, config: Config) -> Config:
        """``config`` with the alert rules of saved searches appended (``alerts.searches``)."""
        with session_scope(self.engine) as session:
            return with_saved_searches(config, session=session)

    def mark_baselines(self, source_ids: Iterable[str], at: datetime) -> None:
        """Record these sources' baseline crawl as done (a no-op for those already done)."""
        with session_scope(self.engine, write=True) as session:
            alerts.mark_baselines(session, source_ids, at)

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
                queries.record_urls(
                    session=session,
                    records=records,
                    now=datetime.now(UTC),
                    retry_base=self.retry_base,
                )

    def due_retries(self, source_id: str, limit: int) -> list[tuple[str, str]]:
        """(canonical URL, URL to request) of failed URLs of a source due for a retry."""
        return self.all_due_retries([source_id], limit).get(source_id, [])

    def all_due_retries(
        self, source_ids: Iterable[str], limit: int
    ) -> dict[str, list[tuple[str, str]]]:
        """``due_retries`` of many sources: one query finds the sources with any, then each of
        those is asked for at most ``limit`` of them."""
        if limit <= 0:
            return {}
        now = datetime.now(UTC)
        with session_scope(self.engine) as session:
            due = polls.sources_with_due_urls(session=session, source_ids=source_ids, now=now)
            return {
                source_id: queries.due_urls(
                    session=session, source_id=source_id, now=now, limit=limit
                )
                for source_id in sorted(due)
            }

    def walked_chains(self, sources: Iterable[SourceConfig]) -> set[tuple[str, str]]:
        """(source id, canonical start URL) of the list chains walked to their end under the
        current configuration: one that stopped at ``max_list_pages`` counts only while the
        limit is not raised. Walks of start URLs no longer configured are forgotten."""
        by_id = {source.id: source for source in sources}
        keep = {
            source.id: {canonicalize(url) for url in source.start_urls} for source in by_id.values()
        }
        walked: set[tuple[str, str]] = set()
        with session_scope(self.engine) as session:
            walks = queries.completed_walks(session=session, source_ids=list(by_id))
        # One read; a write only when a start URL was dropped from the configuration.
        gone = sorted(
            {walk.source_id for walk in walks if walk.start_url not in keep[walk.source_id]}
        )
        if gone:
            with session_scope(self.engine, write=True) as session:
                for source_id in gone:
                    queries.forget_walks(
                        session=session, source_id=source_id, keep=sorted(keep[source_id])
                    )
        for walk in walks:
            limit = by_id[walk.source_id].max_list_pages
            if walk.start_url in keep[walk.source_id] and (
                walk.ended_by != "limit" or walk.max_list_pages >= limit
            ):
                walked.add((walk.source_id, walk.start_url))
        return walked

    def record_walks(self, walks: Sequence[SourceWalk]) -> None:
        if walks:
            with session_scope(self.engine, write=True) as session:
                queries.record_walks(session=session, walks=walks)

    def robots_copies(self, origins: Iterable[str]) -> dict[str, CachedRobots]:
        """The stored robots.txt of these origins (fresh or expired), by origin."""
        with session_scope(self.engine) as session:
            return http_cache.cached_robots(session=session, origins=origins)

    def save_robots(self, copies: Sequence[CachedRobots]) -> None:
        if copies:
            with session_scope(self.engine, write=True) as session:
                http_cache.save_robots(session=session, entries=copies)

    def list_validators(self, source_ids: Iterable[str]) -> dict[str, Validators]:
        """The ETag / Last-Modified these sources' list pages were last served with, by
        canonical URL."""
        with session_scope(self.engine) as session:
            return http_cache.list_validators(session=session, source_ids=source_ids)

    def save_validators(self, validators: Sequence[Validators]) -> None:
        """Remember what list pages were served with (one with neither loses its row)."""
        if validators:
            with session_scope(self.engine, write=True) as session:
                http_cache.save_validators(session=session, validators=validators)

    def store_batch(
        self,
        articles: Sequence[tuple[NewArticle, Sequence[NewAttachment]]],
        attachments: Sequence[NewAttachment] = (),
    ) -> StoredBatch:
        """Store articles with the attachments they link to, and other attachments, in one
        transaction: a crawl killed at any moment never leaves an article stored without its
        attachments (a stored article is never fetched again, so they would be lost for good),
        without its story, or without its alerts (the outbox rows of ``alerter``)."""
        if not articles and not attachments:
            return StoredBatch([], Counter())
        # Imported with the first batch: the story index needs numpy, which a routine crawl that
        # stores nothing never loads.
        from crawler.crawl import stories

        new: Counter[str] = Counter()
        with session_scope(self.engine, write=True) as session:
            ids = (
                queries.store_articles(session=session, articles=[a for a, _ in articles])
                if articles
                else []
            )
            assigned = stories.assign_stories(
                session=session,
                candidates=[
                    stories.candidate(article_id, article)
                    for (article, _), article_id in zip(articles, ids, strict=True)
                    if article_id is not None
                ],
            )
            if self.alerter is not None and assigned:
                by_id = {
                    article_id: article
                    for (article, _), article_id in zip(articles, ids, strict=True)
                    if article_id is not None
                }
                self.alerter.write(
                    session,
                    [
                        StoredArticle(a.article_id, a.story_id, by_id[a.article_id])
                        for a in assigned
                    ],
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
