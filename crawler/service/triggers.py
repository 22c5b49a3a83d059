"""The trigger of a source: the ONE place that turns a source's ``schedule`` into when it polls.

``30m``, ``2h``, ``1d`` intervals and five-field cron expressions (UTC) are APScheduler triggers
(``crawler.schedules.parse_schedule``); a source without a schedule uses
``service.default_schedule``. ``adaptive`` (learned from the source's history by
``crawler.monitor.adaptive``) is planned here as the default schedule until that module is
plugged in: this function is where it goes.
"""

from __future__ import annotations

from crawler.config import Config, SourceConfig
from crawler.schedules import ADAPTIVE, parse_schedule
from crawler.service.planner import Schedule

FALLBACK_SCHEDULE = "30m"
"""The schedule of an ``adaptive`` source while no adaptive trigger exists, when
``service.default_schedule`` is itself ``adaptive``."""


def source_schedule(source: SourceConfig, config: Config) -> Schedule:
    """The schedule (key and trigger) ``source`` polls on under ``config``."""
    text = (source.schedule or config.service.default_schedule).strip()
    if text == ADAPTIVE:
        # The adaptive trigger (crawler.monitor.adaptive) plugs in here; until then an
        # adaptive source polls on the default schedule.
        default = config.service.default_schedule.strip()
        text = default if default != ADAPTIVE else FALLBACK_SCHEDULE
        return Schedule(key=f"{ADAPTIVE}:{text}", trigger=parse_schedule(text))
    return Schedule(key=text, trigger=parse_schedule(text))


def schedules(config: Config) -> dict[str, Schedule]:
    """Source id -> schedule, for every configured source."""
    return {source.id: source_schedule(source, config) for source in config.sources}
