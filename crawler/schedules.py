"""Parsing source schedules: '30m', '2h', '1d' intervals or five-field cron expressions."""

from __future__ import annotations

import re
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_schedule(text: str) -> Any:
    """An APScheduler trigger for the schedule text; ValueError when it is neither form."""
    match = _INTERVAL.match(text)
    if match:
        if int(match.group(1)) <= 0:
            raise ValueError(f"schedule {text!r}: the interval must be positive")
        return IntervalTrigger(**{_UNITS[match.group(2)]: int(match.group(1))}, timezone="UTC")
    try:
        return CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is neither an interval like '2h' nor a cron expression ({exc})"
        ) from None
