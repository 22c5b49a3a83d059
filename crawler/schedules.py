"""Parsing source schedules ('30m', '2h', '1d' intervals, five-field cron expressions, or
``adaptive``), durations and times of day."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TIME_OF_DAY = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")

ADAPTIVE = "adaptive"
"""The schedule that learns when a source publishes (``crawler.monitor.adaptive``)."""


def parse_duration(text: str | int | float) -> timedelta:
    """``'90s'``, ``'30m'``, ``'2h'``, ``'3d'`` (or a number of seconds) as a timedelta;
    ValueError otherwise."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration like '30m', '2h' or '3d'")
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        match = _INTERVAL.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a duration like '30m', '2h' or '3d'")
        seconds = int(match.group(1)) * _SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"duration {text!r} must be positive")
    return timedelta(seconds=seconds)


def parse_time_of_day(text: str) -> time:
    """``'08:30'`` as a time; ValueError otherwise."""
    match = _TIME_OF_DAY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time of day like '08:30'")
    return time(int(match.group(1)), int(match.group(2)))


def parse_schedule(text: str, timezone: str = "UTC") -> Any:
    """An APScheduler trigger for the schedule text; ValueError when it is neither form.
    Cron fields are read in ``timezone`` (the configuration's, Beijing by default, when the
    service plans). (``adaptive`` is not a fixed trigger: the service plans it from the source's
    history.)"""
    from apscheduler.triggers.cron import CronTrigger  # APScheduler loads only for schedules
    from apscheduler.triggers.interval import IntervalTrigger

    match = _INTERVAL.match(text)
    if match:
        if int(match.group(1)) <= 0:
            raise ValueError(f"schedule {text!r}: the interval must be positive")
        return IntervalTrigger(**{_UNITS[match.group(2)]: int(match.group(1))}, timezone=timezone)
    try:
        return CronTrigger.from_crontab(text, timezone=timezone)
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is neither an interval like '2h' nor a cron expression ({exc})"
        ) from None
