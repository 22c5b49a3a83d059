"""The due-planner: which sources are due at a time ``now``, pure (no clock, no I/O).

Each source has a trigger (anything with APScheduler's ``get_next_fire_time(previous, now)``)
and a key naming its schedule (a changed key on reload reschedules it). The planner keeps, per
source, the trigger's next fire time and the moment it is due (the fire time plus a random
jitter of up to ``jitter``, so sources on one schedule don't all fire at once; the next fire is
computed from the trigger's own fire times, so jitter never accumulates).

- Coalescing: fire times missed while the service was down or busy count once: a source three
  intervals late is due once, and its next fire is the trigger's first after ``now``.
- Misfire grace: when even the latest missed fire time is more than ``misfire_grace`` ago, the
  poll is skipped and the source waits for its next fire (APScheduler's rule). Interval
  schedules shorter than the grace are therefore always caught up at once.
- Start-up: a source's last run start (from the database) is its previous fire time, so a
  source whose next poll has passed is due once, now; a source never crawled is due now.
- Never two crawls of one source: ``take_due`` marks what it returns as running; a running
  source is not returned again until ``finished`` is called for it, however late it gets.
- Batching: ``take_due`` returns every due source at once; the caller crawls them in one child.
  Once one source is due (its jitter included), every source whose scheduled time has come
  rides along: jitter delays polls, it never splits one cycle into several crawls (each crawl
  child costs a process start-up; a thousand sources on one schedule stay one crawl per cycle).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

MAX_CATCH_UP_STEPS = 1_000_000
"""Bound on the fire times walked to find the latest missed one (a '1s' schedule down for days)."""


class Trigger(Protocol):
    """What the planner needs of a trigger (APScheduler 3's triggers have it)."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...


@dataclass(frozen=True)
class Schedule:
    """A source's schedule: its trigger, and a key that changes when the schedule does."""

    key: str
    trigger: Trigger = field(compare=False)


@dataclass
class _Entry:
    schedule: Schedule
    fire: datetime | None
    """The trigger's next fire time (None: the trigger will never fire again)."""
    due_at: datetime | None
    """``fire`` plus this poll's jitter; when the source is next due."""
    running: bool = False


@dataclass(frozen=True)
class PlanChanges:
    """What ``update`` changed."""

    added: list[str]
    removed: list[str]
    rescheduled: list[str]


class DuePlanner:
    """Due times of a set of sources (see the module docstring)."""

    def __init__(
        self,
        *,
        jitter: timedelta = timedelta(0),
        misfire_grace: timedelta = timedelta(hours=1),
        rng: random.Random | None = None,
    ) -> None:
        self.jitter = jitter
        self.misfire_grace = misfire_grace
        self.rng = rng or random.Random()
        self._entries: dict[str, _Entry] = {}
        self.skipped: list[tuple[str, datetime]] = []
        """(source, missed fire time) of polls skipped as misfired, for the caller to log."""

    # -- the set of sources ----------------------------------------------------------------

    def update(
        self,
        schedules: Mapping[str, Schedule],
        last_starts: Mapping[str, datetime],
        now: datetime,
    ) -> PlanChanges:
        """Make the planned sources those of ``schedules``: new ones are planned from their last
        run start (``last_starts``; due now when they have none), those whose schedule key
        changed from their last fire, those gone are dropped (a running crawl of one goes on)."""
        removed = [sid for sid in self._entries if sid not in schedules]
        for sid in removed:
            del self._entries[sid]
        added, rescheduled = [], []
        for sid, schedule in schedules.items():
            entry = self._entries.get(sid)
            if entry is None:
                added.append(sid)
                self._entries[sid] = self._plan(sid, schedule, last_starts.get(sid), now)
            elif entry.schedule.key != schedule.key:
                rescheduled.append(sid)
                previous = last_starts.get(sid)
                planned = self._plan(sid, schedule, previous, now)
                planned.running = entry.running
                self._entries[sid] = planned
        return PlanChanges(added, removed, rescheduled)

    def _plan(
        self, sid: str, schedule: Schedule, previous: datetime | None, now: datetime
    ) -> _Entry:
        if previous is None:
            return _Entry(schedule, fire=now, due_at=now)  # never crawled: due now, unjittered
        fire = schedule.trigger.get_next_fire_time(previous, previous)
        entry = _Entry(schedule, fire=fire, due_at=None)
        if fire is not None and fire <= now:
            latest, following = self._latest_missed(schedule.trigger, fire, now)
            if now - latest <= self.misfire_grace:
                entry.fire, entry.due_at = latest, now  # overdue: due once, now
            else:
                self.skipped.append((sid, latest))
                entry.fire = following
                entry.due_at = self._jittered(following)
        else:
            entry.due_at = self._jittered(fire)
        return entry

    # -- the clock's side -------------------------------------------------------------------

    def take_due(self, now: datetime) -> list[str]:
        """Every source due at ``now`` and not running (in the planned order), marked running,
        its next fire planned (missed fire times coalesced, misfired ones skipped)."""
        if not self.count_due(now):
            return []
        due = []
        for sid, entry in self._entries.items():
            # a crawl starts: every source whose scheduled time has come rides along, jittered
            # or not (jitter delays a poll; it never splits a cycle into several crawls)
            if entry.running or entry.fire is None or entry.fire > now:
                continue
            assert entry.fire is not None
            latest, following = self._latest_missed(entry.schedule.trigger, entry.fire, now)
            entry.fire, entry.due_at = following, self._jittered(following)
            # a poll due at its (jittered) time counts from its fire time; the grace is for
            # polls a stopped or busy service could not start at all
            if now - latest > self.misfire_grace + self.jitter:
                self.skipped.append((sid, latest))
                continue
            entry.running = True
            due.append(sid)
        return due

    def count_due(self, now: datetime) -> int:
        """How many sources ``take_due(now)`` would return (nothing is taken): none until one
        is due, jitter included; then every source whose scheduled time has come."""
        waiting = [e for e in self._entries.values() if not e.running and e.fire is not None]
        if not any(e.due_at is not None and e.due_at <= now for e in waiting):
            return 0
        return sum(1 for e in waiting if e.fire is not None and e.fire <= now)

    def finished(self, source_ids: Iterable[str]) -> None:
        """These sources' crawl ended (however): they may be due again."""
        for sid in source_ids:
            entry = self._entries.get(sid)
            if entry is not None:
                entry.running = False

    def next_due(self) -> datetime | None:
        """The earliest due time of a source not running (None: nothing will ever be due)."""
        times = [e.due_at for e in self._entries.values() if not e.running and e.due_at]
        return min(times, default=None)

    def running(self) -> list[str]:
        return [sid for sid, entry in self._entries.items() if entry.running]

    def due_at(self, source_id: str) -> datetime | None:
        """When ``source_id`` is next due (None: never, or not planned)."""
        entry = self._entries.get(source_id)
        return entry.due_at if entry is not None else None

    def __contains__(self, source_id: object) -> bool:
        return source_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    # -- helpers ------------------------------------------------------------------------------

    def _latest_missed(
        self, trigger: Trigger, fire: datetime, now: datetime
    ) -> tuple[datetime, datetime | None]:
        """(the latest fire time at or before ``now`` from ``fire`` on, the first after it)."""
        latest = fire
        following = trigger.get_next_fire_time(latest, latest)
        steps = 0
        while following is not None and following <= now and steps < MAX_CATCH_UP_STEPS:
            latest = following
            following = trigger.get_next_fire_time(latest, latest)
            steps += 1
        return latest, following

    def _jittered(self, fire: datetime | None) -> datetime | None:
        if fire is None or not self.jitter:
            return fire
        return fire + self.jitter * self.rng.random()
