"""The service's glue for ``schedule: adaptive``: read a source's history from the database and
build the trigger that polls it (``crawler.monitor.adaptive`` holds the learning and planning).

Reads ``Config.timezone`` (the zone of the publishing pattern), ``service.polls_per_day`` (the
daily budget) and ``service.jitter``. The trigger re-reads the history and re-plans once a day,
and asks for the source's newest find each time it computes a fire time (follow-ups).
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from crawler.config import Config, SourceConfig
from crawler.monitor.adaptive import (
    DEFAULT_HISTORY,
    AdaptiveTrigger,
    PollPlan,
    observation,
    plan_for,
)
from storage.history import last_found, publication_times

logger = logging.getLogger(__name__)


def source_plan(engine: Engine, source_id: str, config: Config, now: datetime) -> PollPlan:
    """The poll plan of ``source_id`` as of ``now``, learned from its last half year."""
    zone = ZoneInfo(config.timezone)
    with Session(engine) as session:
        rows = publication_times(session, source_id, now - DEFAULT_HISTORY)
    observations = [
        observation(row.published_at, row.published_on, row.fetched_at, zone) for row in rows
    ]
    plan = plan_for(observations, now, polls_per_day=config.service.polls_per_day, tz=zone)
    logger.info(
        "adaptive plan for %s: %d articles, %s, longest gap %s",
        source_id,
        len(rows),
        "learned" if plan.learned else "even spread",
        plan.max_gap(),
    )
    return plan


def adaptive_trigger(
    engine: Engine, source: SourceConfig, config: Config, now: datetime, *, jitter: bool = True
) -> AdaptiveTrigger:
    """The APScheduler trigger of an ``adaptive`` source: planned now from its history,
    re-planned daily, following up on new finds (one small query each time a fire time is
    computed); on a database error the current plan stays. ``jitter``: add
    ``service.jitter`` (off where the caller jitters every trigger itself)."""

    def replan(at: datetime) -> PollPlan:
        return source_plan(engine, source.id, config, at)

    def found() -> datetime | None:
        with Session(engine) as session:
            return last_found(session, source.id)

    return AdaptiveTrigger(
        replan(now),
        planned_at=now,
        replan=replan,
        last_found=found,
        jitter=(config.service.jitter.total_seconds() or None) if jitter else None,
    )
