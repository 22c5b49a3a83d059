"""Judge sources' health and record it: the database side of ``crawler.monitor.health``.

``judge_sources(engine, config, now, source_ids=None)`` reads the recent history of the sources
(a few queries, whatever their number: ``storage.health``), judges each with
``crawler.monitor.health.judge`` under the config's ``health`` section, and writes every
source's ``source_health`` row in one transaction, with an operator alert (one delivery per
``health.notify`` URL) for each source whose state changed. The run recorder calls it for a
crawl's sources when the crawl closes; the service calls it periodically for all of them, so a
source turns ``quiet`` without a run. Reads no settings.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from crawler.alerts.channels import channels
from crawler.config import Config
from crawler.monitor.health import HealthPolicy, RunSummary, judge, usual_interval
from storage import health as store
from storage.db import session_scope

HISTORY_DAYS = 90
"""Runs older than this are not read (bounds the scan of a long history)."""


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Judged:
    """One source's judgement, as written."""

    source_id: str
    state: str
    previous: str | None
    reason: str
    alert_id: int | None


def policy(config: Config) -> HealthPolicy:
    return HealthPolicy(
        failing_after=config.health.failing_after, quiet_factor=config.health.quiet_factor
    )


def judge_sources(
    engine: Engine, config: Config, now: datetime, source_ids: Sequence[str] | None = None
) -> list[Judged]:
    """Judge the configured sources (or those of ``source_ids`` that are configured) that the
    database knows at ``now`` and record their health; returns what was judged."""
    wanted = {s.id for s in config.sources}
    ids = sorted(wanted if source_ids is None else wanted.intersection(source_ids))
    if not ids:
        return []
    rules = policy(config)
    notify = channels(config.health.notify)
    with session_scope(engine, write=True) as session:
        ids = store.known_sources(session=session, source_ids=ids)  # never synced: nothing to say
        runs = store.recent_runs(
            session=session,
            source_ids=ids,
            per_source=rules.runs_needed(),
            since=now - timedelta(days=HISTORY_DAYS),
        )
        times = store.new_article_times(session=session, source_ids=ids, per_source=rules.history)
        success = store.last_success(session=session, source_ids=ids)
        newest = store.last_new_article(session=session, source_ids=ids)
        rows = store.health_rows(session=session, source_ids=ids, lock=True)
        updates: list[store.HealthUpdate] = []
        for source_id in ids:
            row = rows.get(source_id)
            verdict = judge(
                [
                    RunSummary(
                        status=run.status,
                        started_at=run.started_at,
                        counts=run.counts,
                        errors=run.errors,
                    )
                    for run in runs.get(source_id, [])
                ],
                now=now,
                last_new_article_at=newest.get(source_id),
                interval=usual_interval(times.get(source_id, []), rules.quiet_min_gaps),
                policy=rules,
                previous=row.state if row is not None else None,
            )
            updates.append(
                store.HealthUpdate(
                    source_id=source_id,
                    state=verdict.state,
                    reason=verdict.reason,
                    checked_at=now,
                    last_success_at=success.get(source_id),
                    last_new_article_at=newest.get(source_id),
                    consecutive_failures=verdict.consecutive_failures,
                )
            )
        before = {sid: row.state for sid, row in rows.items()}
        alert_ids = store.record_healths(
            session=session, updates=updates, previous=rows, channels=notify
        )
        judged = [
            Judged(u.source_id, u.state, before.get(u.source_id), u.reason, alert_ids[u.source_id])
            for u in updates
        ]
    for change in judged:
        if change.alert_id is not None:
            logger.warning(
                "source health: %s: %s -> %s: %s",
                change.source_id,
                change.previous or "new",
                change.state,
                change.reason,
                extra={"source": change.source_id},
            )
    return judged
