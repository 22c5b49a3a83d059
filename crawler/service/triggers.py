"""The trigger of a source: the ONE place that turns a source's ``schedule`` into when it polls.

``30m``, ``2h``, ``1d`` intervals and five-field cron expressions (in ``Config.timezone``) are
APScheduler triggers (``crawler.schedules.parse_schedule``); a source without a schedule uses
``service.default_schedule``. ``adaptive`` is planned from the source's history
(``crawler.service.adaptive``, learning in ``crawler.monitor.adaptive``) when the database is at
hand; without one (a plan checked, not run) it polls on the default schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from crawler.config import Config, SourceConfig
from crawler.schedules import ADAPTIVE, parse_schedule
from crawler.service.adaptive import adaptive_trigger
from crawler.service.planner import Schedule

FALLBACK_SCHEDULE = "30m"
"""The schedule of an ``adaptive`` source planned without a database, when
``service.default_schedule`` is itself ``adaptive``."""


def source_schedule(
    source: SourceConfig,
    config: Config,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> Schedule:
    """The schedule (key and trigger) ``source`` polls on under ``config``; an ``adaptive``
    one is planned from its history in ``engine`` as of ``now``."""
    text = (source.schedule or config.service.default_schedule).strip()
    if text == ADAPTIVE:
        if engine is not None:
            # The planner adds the service's jitter to every trigger: none here.
            trigger = adaptive_trigger(
                engine, source, config, now or datetime.now(UTC), jitter=False
            )
            return Schedule(key=f"{ADAPTIVE}:{config.service.polls_per_day}", trigger=trigger)
        default = config.service.default_schedule.strip()
        text = default if default != ADAPTIVE else FALLBACK_SCHEDULE
        return Schedule(key=f"{ADAPTIVE}:{text}", trigger=parse_schedule(text, config.timezone))
    return Schedule(key=text, trigger=parse_schedule(text, config.timezone))


def schedules(
    config: Config, engine: Engine | None = None, now: datetime | None = None
) -> dict[str, Schedule]:
    """Source id -> schedule, for every configured source."""
    return {source.id: source_schedule(source, config, engine, now) for source in config.sources}
