"""Adaptive polling, pure: learn when a source publishes, and plan where a daily poll budget goes.

A source's history is a list of ``Observation``s, one per article: its publication time when
the page gave a time of day (``exact``), else the calendar day it names when it was first seen
on a later day (``day``: spread over that day), else the time it was first seen (``seen``).
``learn_rates`` turns them into a publication rate for each hour of the week in the configured
time zone (weekday and weekend hours learned apart): recent weeks weigh more (exponential
decay, ``half_life``), and every estimate is shrunk towards a prior (the weekday profile towards
the hour-of-day profile of all days, that one towards an even spread), so a few articles
don't make a spiky plan.

``plan_polls`` spends the budget (``polls_per_day`` on average, over a week) with a poll
density proportional to the square root of the rate, which minimises the mean delay between
publication and detection under a fixed number of polls (an article published at rate
``r(t)`` waits half a gap, ``1 / (2 n(t))``; minimising the integral of ``r / n`` under a fixed
integral of ``n`` gives ``n`` proportional to ``sqrt(r)``), clipped to a floor (no gap longer
than ``max_gap``, so an evening or weekend article is still found within hours) and a ceiling
(no two polls closer than ``min_gap``). With too little history the plan is an even spread,
the fixed interval of the same budget. Articles within ``CLUSTER_WINDOW`` of each other share
one unit of weight, so a burst around one event does not read as a publishing habit.

Bursts are served by follow-ups instead: after a poll finds an article, poll every
``FOLLOW_GAPS`` minutes for ``FOLLOW_WINDOW``. The plan sets their expected cost aside from the
budget (at most ``FOLLOW_SHARE``) and takes a follow-up only when the history says it lowers
the expected delay.

A ``PollPlan`` is a weekly template of poll times (plus the current follow-up);
``AdaptiveTrigger`` is an APScheduler 3.x trigger that fires on it, re-plans itself (from a
callable the service gives it) once its plan is older than ``replan_every``, and follows up on
finds. Nothing here reads the database or imports Scrapy.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

logger = logging.getLogger(__name__)

HOURS_PER_WEEK: Final = 7 * 24
WEEK_SECONDS: Final = 7 * 86400
DEFAULT_POLLS_PER_DAY: Final = 48
DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
DEFAULT_HALF_LIFE: Final = timedelta(days=28)
DEFAULT_MAX_GAP: Final = timedelta(hours=3)
DEFAULT_MIN_GAP: Final = timedelta(minutes=5)
DEFAULT_MIN_ARTICLES: Final = 8
DEFAULT_HISTORY: Final = timedelta(days=182)
"""How far back the service reads a source's history to plan it."""
DEFAULT_REPLAN_EVERY: Final = timedelta(days=1)
PRIOR_HOURS: Final = 12.0
"""Pseudo-articles spread evenly over the hours of the day (the hour-of-day profile's prior)."""
PRIOR_DAYTYPE: Final = 8.0
"""Pseudo-articles pulling each day type's hour profile towards the all-days profile."""
PRIOR_SPLIT: Final = 6.0
"""Pseudo-articles pulling the weekday/weekend split towards 5:2."""

CLUSTER_WINDOW: Final = timedelta(hours=2)
FOLLOW_WINDOW: Final = timedelta(hours=2)
"""After a poll finds a new article, poll more often (``FOLLOW_GAPS``) for this long (bursts)."""
FOLLOW_GAPS: Final = (timedelta(minutes=10), timedelta(minutes=15), timedelta(minutes=20))
"""Follow-up gaps weighed against none: the plan takes the one of least expected delay."""
FOLLOW_COST_MARGIN: Final = 1.1
FOLLOW_SHARE: Final = 0.25
"""At most this share of the budget is set aside for follow-up polls."""
"""Articles this close together share one unit of weight (``_cluster_shares``)."""

Kind = Literal["exact", "day", "seen"]


@dataclass(frozen=True, slots=True)
class Observation:
    """When one article appeared: ``at`` (UTC-aware) for ``exact``/``seen``, ``on`` (a local
    calendar day) for ``day``."""

    kind: Kind
    at: datetime | None = None
    on: date | None = None


def observation(
    published_at: datetime | None,
    published_on: date | None,
    first_seen: datetime,
    tz: ZoneInfo,
) -> Observation:
    """The best evidence of when an article appeared: the stated time of day; else its stated
    day when it was first seen on a later day (the poll that found it says nothing of the
    hour); else the time it was first seen."""
    if published_at is not None:
        return Observation("exact", at=published_at)
    if published_on is not None and published_on < first_seen.astimezone(tz).date():
        return Observation("day", on=published_on)
    return Observation("seen", at=first_seen)


def _hour_of_week(local: datetime) -> int:
    return local.weekday() * 24 + local.hour


@dataclass(frozen=True)
class WeeklyRates:
    """Expected articles per hour for each hour of the week (Monday 00:00 local first)."""

    rates: tuple[float, ...]
    articles: float
    """The decayed weight of the history behind the estimate (0: none)."""
    learned: bool
    """False when there was too little history and the rates are the even prior."""
    per_week: float = 0.0
    """Articles a week (recent weeks weigh more)."""
    follow_hours: tuple[float, ...] = ()
    """Per hour of the week, the hours a week that follow-ups after found articles take."""
    follow_articles: tuple[float, ...] = ()
    """Per hour of the week, the articles a week that come within a follow-up."""


def _decay(age_days: float, half_life_days: float) -> float:
    return 0.5 ** (max(age_days, 0.0) / half_life_days)


def _cluster_shares(items: Sequence[Observation]) -> list[float]:
    """Each timed article's weight in a cluster: 1 / the number of articles within
    ``CLUSTER_WINDOW`` of it, so a burst of reposts around one event counts as about one
    sign of when the site publishes, not as many (a day-only article keeps weight 1)."""
    timed = sorted((item.at, index) for index, item in enumerate(items) if item.at is not None)
    times = [at for at, _ in timed]
    shares = [1.0] * len(items)
    for at, index in timed:
        low = bisect.bisect_left(times, at - CLUSTER_WINDOW)
        high = bisect.bisect_right(times, at + CLUSTER_WINDOW)
        shares[index] = 1.0 / max(high - low, 1)
    return shares


@dataclass(frozen=True)
class _FollowStats:
    hours: tuple[float, ...]
    articles: tuple[float, ...]


def _follow_stats(
    items: Sequence[Observation], now: datetime, tz: ZoneInfo, half_life: timedelta
) -> _FollowStats:
    """Per hour of the week and per (decayed) week of history: the hours that follow-ups
    would have covered (the union of ``FOLLOW_WINDOW`` after every timed article), and the
    articles that came within one (within ``FOLLOW_WINDOW`` after another)."""
    times = sorted(item.at for item in items if item.at is not None and item.at <= now)
    hours = [0.0] * HOURS_PER_WEEK
    followed = [0.0] * HOURS_PER_WEEK
    if not times:
        return _FollowStats(tuple(hours), tuple(followed))
    half_life_days = half_life.total_seconds() / 86400
    spans: list[list[datetime]] = []
    for at in times:
        if spans and at <= spans[-1][1]:
            spans[-1][1] = at + FOLLOW_WINDOW
            age = (now - at).total_seconds() / 86400
            followed[_hour_of_week(at.astimezone(tz))] += _decay(age, half_life_days)
        else:
            spans.append([at, at + FOLLOW_WINDOW])
    for begin, finish in spans:
        weight = _decay((now - begin).total_seconds() / 86400, half_life_days)
        local = begin.astimezone(tz)
        while local < finish:
            boundary = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            step = min(boundary, finish.astimezone(tz)) - local
            hours[_hour_of_week(local)] += weight * step.total_seconds() / 3600
            local = boundary
    weeks = _decayed_weeks(now - times[0], half_life)
    return _FollowStats(
        tuple(value / weeks for value in hours), tuple(value / weeks for value in followed)
    )


def _decayed_weeks(span: timedelta, half_life: timedelta) -> float:
    """The weight of ``span`` of history (at least a week) in weeks, as decay weighs it."""
    days = max(span.total_seconds() / 86400, 7.0)
    half_life_days = half_life.total_seconds() / 86400
    return half_life_days / math.log(2) * (1 - 0.5 ** (days / half_life_days)) / 7


def _counts(
    observations: Iterable[Observation], now: datetime, tz: ZoneInfo, half_life: timedelta
) -> tuple[list[list[float]], int]:
    """Decayed article weight per (day type, hour): [weekday, weekend][hour]; and the count."""
    counts = [[0.0] * 24 for _ in range(2)]
    half_life_days = half_life.total_seconds() / 86400
    items = list(observations)
    share = _cluster_shares(items)
    used = 0
    for item, part in zip(items, share, strict=True):
        if item.kind == "day" and item.on is not None:
            age = (now.astimezone(tz).date() - item.on).days
            weight = _decay(age, half_life_days) * part
            row = counts[1 if item.on.weekday() >= 5 else 0]
            for hour in range(24):
                row[hour] += weight / 24
        elif item.at is not None:
            if item.at > now:
                continue  # a stated time in the future is a site's error, not evidence
            local = item.at.astimezone(tz)
            weight = _decay((now - item.at).total_seconds() / 86400, half_life_days) * part
            counts[1 if local.weekday() >= 5 else 0][local.hour] += weight
        else:
            continue
        used += 1
    return counts, used


def learn_rates(
    observations: Iterable[Observation],
    now: datetime,
    *,
    tz: ZoneInfo | str = DEFAULT_TIMEZONE,
    half_life: timedelta = DEFAULT_HALF_LIFE,
    min_articles: int = DEFAULT_MIN_ARTICLES,
) -> WeeklyRates:
    """A source's publication rate per hour of the week, smoothed (see the module docstring)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    items = list(observations)
    counts, used = _counts(items, now, zone, half_life)
    total = sum(map(sum, counts))
    if used < min_articles or total <= 0:
        return WeeklyRates((1.0 / HOURS_PER_WEEK,) * HOURS_PER_WEEK, total, learned=False)
    follow = _follow_stats(items, now, zone, half_life)
    timed = [item.at for item in items if item.at is not None and item.at <= now]
    dated = [item.on for item in items if item.on is not None]
    oldest = min([*timed, *(datetime.combine(on, datetime.min.time(), zone) for on in dated)])
    # the hour-of-day share of all articles, shrunk towards an even day
    pooled = [
        (counts[0][h] + counts[1][h] + PRIOR_HOURS / 24) / (total + PRIOR_HOURS) for h in range(24)
    ]
    week_share = (5 / 7, 2 / 7)
    rates: list[float] = []
    day_totals = [sum(row) for row in counts]
    split = [(day_totals[d] + PRIOR_SPLIT * week_share[d]) / (total + PRIOR_SPLIT) for d in (0, 1)]
    for weekday in range(7):
        d = 1 if weekday >= 5 else 0
        per_day = split[d] / (5 if d == 0 else 2)
        for hour in range(24):
            profile = (counts[d][hour] + PRIOR_DAYTYPE * pooled[hour]) / (
                day_totals[d] + PRIOR_DAYTYPE
            )
            rates.append(per_day * profile)
    return WeeklyRates(
        tuple(rates),
        total,
        learned=True,
        per_week=total / _decayed_weeks(now - oldest, half_life),
        follow_hours=follow.hours,
        follow_articles=follow.articles,
    )


def _densities(
    rates: Sequence[float], per_week: float, floor: float, ceiling: float
) -> list[float]:
    """Polls per hour for each hour of the week: ``clip(c * sqrt(rate), floor, ceiling)``,
    with ``c`` chosen so the week holds ``per_week`` polls.

    The week's total is piecewise linear in ``c``, with a knee where an hour reaches the floor
    or the ceiling: the knees are bisected, then the segment holding the budget is solved."""
    roots = [math.sqrt(max(rate, 0.0)) for rate in rates]
    if floor * len(roots) >= per_week or not any(roots):
        return [per_week / len(roots)] * len(roots)
    ceiling = max(ceiling, per_week / len(roots))

    def split(scale: float) -> tuple[float, float]:
        """The clipped hours' total, and the sum of roots of the hours in between."""
        clipped, free = 0.0, 0.0
        for root in roots:
            if scale * root <= floor:
                clipped += floor
            elif scale * root >= ceiling:
                clipped += ceiling
            else:
                free += root
        return clipped, free

    knees = sorted({bound / root for root in roots if root > 0 for bound in (floor, ceiling)})
    low, high = 0, len(knees) - 1  # the budget is reached between knees[low] and knees[high]
    while high - low > 1:
        middle = (low + high) // 2
        clipped, free = split(knees[middle])
        if clipped + knees[middle] * free < per_week:
            low = middle
        else:
            high = middle
    clipped, free = split((knees[low] + knees[high]) / 2)
    scale = (per_week - clipped) / free if free else knees[high]
    return [min(max(scale * root, floor), ceiling) for root in roots]


def _poll_offsets(densities: Sequence[float]) -> tuple[float, ...]:
    """Seconds after Monday 00:00 where the cumulative density crosses k + 1/2: as many polls
    as the week's budget, and at least one in any window whose density integrates to 1."""
    offsets: list[float] = []
    cumulative = 0.0
    target = 0.5
    for hour, density in enumerate(densities):
        end = cumulative + density
        while target < end - 1e-9:
            offsets.append((hour + (target - cumulative) / density) * 3600)
            target += 1
        cumulative = end
    return tuple(offsets)


@dataclass(frozen=True)
class PollPlan:
    """A week of poll times in local time (``offsets``: seconds after Monday 00:00 in ``tz``),
    repeated every week."""

    offsets: tuple[float, ...]
    tz: str = DEFAULT_TIMEZONE
    densities: tuple[float, ...] = ()
    """Planned polls per hour for each hour of the week."""
    learned: bool = False
    """False for the even spread given when the history was too thin."""
    follow_gap: timedelta | None = None
    """Poll this often for ``FOLLOW_WINDOW`` after an article is found (None: never)."""
    follow_until: datetime | None = None
    """The end of the current follow-up (``following``)."""
    follow_reserve: float = 0.0
    """Polls per week set aside from the budget for follow-ups (not in ``offsets``)."""

    @property
    def polls_per_day(self) -> float:
        """The budget: the weekly template's polls and the follow-ups reserved, per day."""
        return (len(self.offsets) + self.follow_reserve) / 7

    def following(self, found_at: datetime) -> PollPlan:
        """This plan, following up on an article found at ``found_at``: for ``FOLLOW_WINDOW``
        after it, no gap is longer than ``follow_gap`` (when the plan follows up at all)."""
        if self.follow_gap is None:
            return self
        until = found_at + FOLLOW_WINDOW
        if self.follow_until is not None and self.follow_until >= until:
            return self
        return replace(self, follow_until=until)

    def max_gap(self) -> timedelta:
        """The longest time between two planned polls (across the week's end too)."""
        if not self.offsets:
            return timedelta(days=7)
        gaps = [b - a for a, b in zip(self.offsets, self.offsets[1:], strict=False)]
        gaps.append(self.offsets[0] + WEEK_SECONDS - self.offsets[-1])
        return timedelta(seconds=max(gaps))

    def next_after(self, t: datetime) -> datetime:
        """The first planned poll strictly after ``t`` (aware), in UTC: the weekly template's,
        or sooner during a follow-up."""
        gap = self.follow_gap
        if gap is None or self.follow_until is None or t >= self.follow_until:
            return self._template_after(t)
        # following up: every ``gap`` at most, on the template's polls where they fit, without
        # a template poll right after a follow-up one (half a gap or less would be wasted)
        regular = self._template_after(t + gap / 2)
        return regular if regular <= t + gap else t + gap

    def _template_after(self, t: datetime) -> datetime:
        if not self.offsets:
            raise ValueError("an empty plan never polls")
        zone = ZoneInfo(self.tz)
        local = t.astimezone(zone)
        monday = datetime.combine(
            local.date() - timedelta(days=local.weekday()), datetime.min.time()
        )
        elapsed = (local.replace(tzinfo=None) - monday).total_seconds()
        start = bisect.bisect_right(self.offsets, elapsed - 7200)  # room for a DST shift
        for week in range(3):
            base = monday + timedelta(days=7 * week)
            for offset in self.offsets[start if week == 0 else 0 :]:
                wall = base + timedelta(seconds=offset)
                candidate = wall.replace(tzinfo=zone).astimezone(UTC)
                if candidate > t:
                    return candidate
        raise AssertionError("unreachable: a non-empty weekly plan polls within three weeks")


def even_plan(
    polls_per_day: int = DEFAULT_POLLS_PER_DAY, tz: ZoneInfo | str = DEFAULT_TIMEZONE
) -> PollPlan:
    """The fixed interval of the same budget: ``polls_per_day`` evenly spread."""
    name = tz if isinstance(tz, str) else tz.key
    densities = [polls_per_day / 24] * HOURS_PER_WEEK
    return PollPlan(_poll_offsets(densities), name, tuple(densities), learned=False)


def plan_polls(
    rates: WeeklyRates,
    *,
    polls_per_day: int = DEFAULT_POLLS_PER_DAY,
    tz: ZoneInfo | str = DEFAULT_TIMEZONE,
    max_gap: timedelta = DEFAULT_MAX_GAP,
    min_gap: timedelta = DEFAULT_MIN_GAP,
) -> PollPlan:
    """Spend ``polls_per_day`` (on average over the week) where ``rates`` say articles come.

    The floor is one poll per ``max_gap``, widened to twice the even interval when the budget
    is too small for it; the ceiling one poll per ``min_gap``."""
    if not rates.learned:
        return even_plan(polls_per_day, tz)
    name = tz if isinstance(tz, str) else tz.key
    even_hours = 24 / polls_per_day
    floor = 1 / max(max_gap.total_seconds() / 3600, 2 * even_hours)
    ceiling = 3600 / min_gap.total_seconds()
    per_week = polls_per_day * 7
    base = _densities(rates.rates, per_week, floor, ceiling)
    best: tuple[float, timedelta | None, float, list[float]] = (
        _expected_delay(rates, base, None),
        None,
        0.0,
        base,
    )
    for gap in FOLLOW_GAPS:
        reserve, densities = 0.0, base
        for _ in range(3):  # the follow-ups' cost grows as the template they fill in thins out
            cost = _follow_up_cost(rates.follow_hours, densities, gap)
            if cost > FOLLOW_SHARE * per_week or abs(cost - reserve) < 1:
                break
            reserve = cost
            densities = _densities(rates.rates, per_week - reserve, floor, ceiling)
        if reserve < 1 or cost > FOLLOW_SHARE * per_week:
            continue
        delay = _expected_delay(rates, densities, gap)
        if delay < best[0]:
            best = (delay, gap, reserve, densities)
    _, follow_gap, follow_reserve, densities = best
    return PollPlan(
        _poll_offsets(densities),
        name,
        tuple(densities),
        learned=True,
        follow_gap=follow_gap,
        follow_reserve=follow_reserve,
    )


def _follow_up_cost(
    follow_hours: Sequence[float], densities: Sequence[float], gap: timedelta
) -> float:
    """Expected polls a week that follow-ups at ``gap`` add to the template: over the hours
    the history's follow-ups took, the polls beyond the template's own (with a margin: a
    follow-up starts at the article's detection, after the publication times it is learned
    from)."""
    per_hour = 3600 / gap.total_seconds()
    return FOLLOW_COST_MARGIN * sum(
        hours * max(0.0, per_hour - density)
        for hours, density in zip(follow_hours, densities, strict=False)
    )


def _expected_delay(rates: WeeklyRates, densities: Sequence[float], gap: timedelta | None) -> float:
    """Total expected detection delay (hours) of a week's articles: half the gap where each
    comes, the follow-up's gap for those that come within a follow-up."""
    follow_density = 0.0 if gap is None else 3600 / gap.total_seconds()
    total = 0.0
    for hour, (share, density) in enumerate(zip(rates.rates, densities, strict=True)):
        articles = share * rates.per_week
        followed = min(rates.follow_articles[hour], articles) if rates.follow_articles else 0.0
        total += (articles - followed) / (2 * density)
        total += followed / (2 * max(density, follow_density))
    return total


def plan_for(
    observations: Iterable[Observation],
    now: datetime,
    *,
    polls_per_day: int = DEFAULT_POLLS_PER_DAY,
    tz: ZoneInfo | str = DEFAULT_TIMEZONE,
    half_life: timedelta = DEFAULT_HALF_LIFE,
    max_gap: timedelta = DEFAULT_MAX_GAP,
    min_articles: int = DEFAULT_MIN_ARTICLES,
) -> PollPlan:
    """``plan_polls(learn_rates(...))``: a source's plan from its history as of ``now``."""
    rates = learn_rates(observations, now, tz=tz, half_life=half_life, min_articles=min_articles)
    return plan_polls(rates, polls_per_day=polls_per_day, tz=tz, max_gap=max_gap)


class AdaptiveTrigger(BaseTrigger):
    """An APScheduler 3.x trigger firing on a ``PollPlan``.

    With ``replan``, a callable giving a fresh plan as of a time, the trigger re-plans once its
    plan is ``replan_every`` old (the new plan applies from the next fire time on). With
    ``last_found``, a callable giving when the source's newest article was found, asked each
    time a fire time is computed, the plan follows up on a new find (APScheduler computes the
    next fire time when it starts a job, so a crawl's finds count from the fire after next; a
    service that knows sooner calls ``found``). A failing callable is logged and the current
    plan kept. ``jitter`` (seconds) adds up to that much to each fire time, as APScheduler's
    own triggers do.
    """

    def __init__(
        self,
        plan: PollPlan,
        *,
        planned_at: datetime | None = None,
        replan: Callable[[datetime], PollPlan] | None = None,
        replan_every: timedelta = DEFAULT_REPLAN_EVERY,
        last_found: Callable[[], datetime | None] | None = None,
        jitter: float | None = None,
    ) -> None:
        self.plan = plan
        self.planned_at = planned_at
        self.replan = replan
        self.replan_every = replan_every
        self.last_found = last_found
        self.found_at: datetime | None = None
        self.jitter = jitter

    def found(self, at: datetime) -> None:
        """A poll at ``at`` found a new article: follow up on it."""
        if self.found_at is None or at > self.found_at:
            self.found_at = at
            self.plan = self.plan.following(at)

    def _refresh(self, now: datetime) -> None:
        if self.replan is not None and (
            self.planned_at is None or now - self.planned_at >= self.replan_every
        ):
            try:
                self.plan = self.replan(now)
                if self.found_at is not None:
                    self.plan = self.plan.following(self.found_at)
            except Exception:
                logger.exception("adaptive re-plan failed; keeping the current plan")
            self.planned_at = now
        if self.last_found is not None:
            try:
                at = self.last_found()
            except Exception:
                logger.exception("adaptive trigger: reading the last find failed")
                return
            if at is not None:
                self.found(at)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        self._refresh(now)
        after = previous_fire_time if previous_fire_time is not None else now
        fire: datetime | None = self._apply_jitter(self.plan.next_after(after), self.jitter, now)
        return fire

    def __str__(self) -> str:
        kind = "learned" if self.plan.learned else "even"
        follow = "" if self.plan.follow_gap is None else f", follow-up {self.plan.follow_gap}"
        return f"adaptive[{self.plan.polls_per_day:g}/day, {kind}{follow}, {self.plan.tz}]"

    def __repr__(self) -> str:
        return f"<AdaptiveTrigger ({self})>"
