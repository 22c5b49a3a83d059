"""Adaptive polling plans (``crawler.monitor.adaptive``) on a fake clock: the budget, where the
polls go, the floor, the even spread without history, the trigger, time zones, and a short
replay where the plan beats the fixed interval of the same budget."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bench.adaptive import bursty, run
from crawler.monitor.adaptive import (
    AdaptiveTrigger,
    Observation,
    PollPlan,
    even_plan,
    learn_rates,
    observation,
    plan_for,
)

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 0, 0, tzinfo=BEIJING).astimezone(UTC)  # a Monday, 00:00 Beijing


def office_history(weeks: int = 12, per_day: int = 4, seed: int = 1) -> list[Observation]:
    """Articles stated at a time of day on weekdays 09:00-12:00 and 14:00-17:30 Beijing."""
    rng = random.Random(seed)
    items = []
    for n in range(weeks * 7):
        day = NOW.astimezone(BEIJING).date() - timedelta(days=n + 1)
        if day.weekday() >= 5:
            continue
        for _ in range(per_day):
            hours = rng.uniform(9, 12) if rng.random() < 0.5 else rng.uniform(14, 17.5)
            at = datetime(day.year, day.month, day.day, tzinfo=BEIJING) + timedelta(hours=hours)
            items.append(Observation("exact", at=at.astimezone(UTC)))
    return items


def bursty_history(days: int = 120, seed: int = 2) -> list[Observation]:
    """Clusters of articles around a few events a month (``bench.adaptive.bursty``)."""
    first = (NOW - timedelta(days=days)).astimezone(BEIJING).date()
    times = bursty(random.Random(seed), first, days)
    return [Observation("exact", at=at) for at in sorted(times) if at < NOW]


def fire_times(plan: PollPlan, start: datetime, days: float) -> list[datetime]:
    times, t = [], start
    while (t := plan.next_after(t)) < start + timedelta(days=days):
        times.append(t)
    return times


def local_hours(times: list[datetime]) -> list[int]:
    return [t.astimezone(BEIJING).hour for t in times]


@pytest.mark.parametrize("budget", [12, 48, 96])
def test_a_week_of_polls_spends_the_budget(budget: int) -> None:
    plan = plan_for(office_history(), NOW, polls_per_day=budget)
    assert plan.learned
    polls = fire_times(plan, NOW + timedelta(hours=5), 7)
    assert abs(len(polls) - budget * 7) <= max(2, budget * 7 * 0.02)


def test_office_hours_history_puts_most_polls_in_working_hours() -> None:
    polls = fire_times(plan_for(office_history(), NOW), NOW, 7)
    weekday_office = [
        t
        for t in polls
        if t.astimezone(BEIJING).weekday() < 5 and 9 <= t.astimezone(BEIJING).hour < 18
    ]
    # 45 of the week's 168 hours are weekday office hours: an even spread puts 27% of polls there
    assert len(weekday_office) / len(polls) > 0.6
    at_ten = sum(1 for h in local_hours(polls) if h == 10)
    at_three_am = sum(1 for h in local_hours(polls) if h == 3)
    assert at_ten > 4 * at_three_am


def test_the_floor_bounds_the_longest_gap() -> None:
    for max_gap in (timedelta(hours=3), timedelta(hours=2)):
        plan = plan_for(office_history(), NOW, max_gap=max_gap)
        assert plan.max_gap() <= max_gap + timedelta(seconds=1)
        polls = [NOW, *fire_times(plan, NOW, 14)]
        longest = max(b - a for a, b in zip(polls, polls[1:], strict=False))
        assert longest <= max_gap + timedelta(seconds=1)
        assert longest > timedelta(hours=1)  # the nights really are thinned


def test_no_or_too_little_history_is_an_even_spread() -> None:
    few = office_history()[:5]
    for history in ([], few):
        plan = plan_for(history, NOW, polls_per_day=48)
        assert not plan.learned
        polls = fire_times(plan, NOW, 3)
        gaps = {round((b - a).total_seconds()) for a, b in zip(polls, polls[1:], strict=False)}
        assert gaps == {1800}
    assert even_plan(48).offsets == plan_for([], NOW).offsets


def test_a_few_articles_do_not_make_a_spiky_plan() -> None:
    """Ten articles all on Tuesdays at 10:00 move the plan less than fifty do."""

    def spike(count: int) -> float:
        history = [
            Observation("exact", at=NOW - timedelta(days=6 + 7 * (n % 5), hours=-2, minutes=n))
            for n in range(count)
        ]
        plan = plan_for(history, NOW)
        return max(plan.densities) / sorted(plan.densities)[len(plan.densities) // 2]

    assert spike(10) < spike(50)
    assert spike(10) < 6


def test_recent_weeks_weigh_more() -> None:
    """An evening publisher that moved to mornings a month ago is polled in the mornings."""
    items = []
    for n in range(1, 140):
        day = NOW.astimezone(BEIJING) - timedelta(days=n)
        hour = 10 if n <= 30 else 21
        items.append(Observation("exact", at=(day + timedelta(hours=hour)).astimezone(UTC)))
    rates = learn_rates(items, NOW).rates
    assert sum(rates[h] for h in range(10, 168, 24)) > sum(rates[h] for h in range(21, 168, 24))


def test_evidence_of_each_article() -> None:
    seen = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)  # Monday 10:00 Beijing
    stated = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    assert observation(stated, date(2026, 5, 1), seen, BEIJING) == Observation("exact", at=stated)
    # only a day, and found on a later day: the day, not the poll that found it
    assert observation(None, date(2026, 5, 1), seen, BEIJING) == Observation(
        "day", on=date(2026, 5, 1)
    )
    assert observation(None, date(2026, 5, 4), seen, BEIJING) == Observation("seen", at=seen)
    assert observation(None, None, seen, BEIJING) == Observation("seen", at=seen)


def test_the_time_zone_is_honoured() -> None:
    monday_nine = PollPlan(offsets=(9 * 3600,), tz="Asia/Shanghai")
    # Beijing Monday 09:00 is Monday 01:00 UTC
    assert monday_nine.next_after(datetime(2026, 6, 1, 0, 30, tzinfo=UTC)) == datetime(
        2026, 6, 1, 1, 0, tzinfo=UTC
    )
    assert monday_nine.next_after(datetime(2026, 6, 1, 1, 0, tzinfo=UTC)) == datetime(
        2026, 6, 8, 1, 0, tzinfo=UTC
    )
    # the same history planned in another zone puts the busy hours elsewhere in UTC
    history = office_history()
    beijing = fire_times(plan_for(history, NOW, tz="Asia/Shanghai"), NOW, 7)
    berlin = fire_times(plan_for(history, NOW, tz="Europe/Berlin"), NOW, 7)
    busiest_utc = max(range(24), key=[t.hour for t in beijing].count)
    assert busiest_utc in (1, 2, 3, 6, 7, 8)  # 09-12 / 14-17 Beijing
    # learned in Berlin local hours, the same UTC instants land on the same UTC hours
    assert max(range(24), key=[t.hour for t in berlin].count) == busiest_utc


def test_trigger_fire_times_are_monotonic_and_in_the_future() -> None:
    trigger = AdaptiveTrigger(plan_for(office_history(), NOW), jitter=60)
    now = NOW + timedelta(hours=3, minutes=7)
    first = trigger.get_next_fire_time(None, now)
    assert first is not None and first > now
    previous = first
    for _ in range(500):
        following = trigger.get_next_fire_time(previous, previous)
        assert following is not None and following > previous
        previous = following
    assert previous - first > timedelta(days=5)
    assert "adaptive[48/day, learned, Asia/Shanghai]" in str(trigger)


def test_trigger_replans_when_its_plan_is_old_and_survives_a_failing_replan() -> None:
    calls: list[datetime] = []
    plans = [even_plan(24), plan_for(office_history(), NOW)]
    outcomes: list[PollPlan | None] = [plans[0], None, plans[1]]  # None: the database is down

    def replan(at: datetime) -> PollPlan:
        calls.append(at)
        outcome = outcomes[len(calls) - 1]
        if outcome is None:
            raise RuntimeError("database down")
        return outcome

    trigger = AdaptiveTrigger(even_plan(48), planned_at=NOW, replan=replan)
    trigger.get_next_fire_time(None, NOW + timedelta(hours=23))
    assert calls == [] and trigger.plan.polls_per_day == 48
    trigger.get_next_fire_time(None, NOW + timedelta(days=1))
    assert trigger.plan is plans[0]
    trigger.get_next_fire_time(None, NOW + timedelta(days=2))  # replan raises: plan kept
    assert trigger.plan is plans[0]
    trigger.get_next_fire_time(None, NOW + timedelta(days=3))
    assert trigger.plan is plans[1] and len(calls) == 3


def test_a_replay_learns_office_hours_and_beats_the_fixed_interval() -> None:
    """Six weeks of an office-hours site, learned online from detections only."""
    fixed, adaptive, articles = run("office", days=42, budget=48, seed=3)
    assert articles > 80
    fixed_median, _, _, fixed_per_day = fixed.summary()
    adaptive_median, _, _, adaptive_per_day = adaptive.summary()
    assert len(adaptive.delays) >= articles - 5
    assert abs(adaptive_per_day - fixed_per_day) < 1.5
    assert adaptive_median < 0.6 * fixed_median


def test_an_apscheduler_job_runs_on_the_trigger() -> None:
    """The trigger in a real (paused) APScheduler 3 scheduler: the job's next run is the plan's."""
    from apscheduler.schedulers.background import BackgroundScheduler

    plan = plan_for(office_history(), NOW)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        before = datetime.now(UTC)
        job = scheduler.add_job(print, trigger=AdaptiveTrigger(plan), id="crawl:a")
        assert job.next_run_time is not None and job.next_run_time > before
        assert job.next_run_time == plan.next_after(job.next_run_time - timedelta(microseconds=1))
        first = plan.next_after(before)
        assert job.next_run_time in (first, plan.next_after(first))  # a poll may fall in between
    finally:
        scheduler.shutdown(wait=False)


def test_a_bursty_history_gets_follow_ups_within_the_budget() -> None:
    plan = plan_for(bursty_history(), NOW)
    assert plan.learned and plan.follow_gap is not None and plan.follow_reserve >= 1
    quiet_week = fire_times(plan, NOW, 7)
    # the template leaves room for the follow-ups the history says a week takes
    assert abs(len(quiet_week) + plan.follow_reserve - 48 * 7) <= 7
    found = NOW + timedelta(days=2, hours=3, minutes=17)
    following = plan.following(found)
    polls = [found, *fire_times(following, found, 0.5)]
    in_window = [t for t in polls if t <= found + timedelta(hours=2)]
    gaps = [b - a for a, b in zip(in_window, in_window[1:], strict=False)]
    assert max(gaps) <= plan.follow_gap and len(in_window) >= 12
    later = [t for t in polls if t > found + timedelta(hours=2, minutes=30)]
    assert later == [t for t in quiet_week if later[0] <= t <= later[-1]]  # back to the template
    # an office-hours history, already densely polled when it publishes, has no follow-ups
    assert plan_for(office_history(), NOW).follow_gap is None
    assert even_plan(48).following(found) == even_plan(48)


def test_the_trigger_follows_up_on_what_the_source_reports_found() -> None:
    plan = plan_for(bursty_history(), NOW)
    finds: list[datetime | None] = [None]
    trigger = AdaptiveTrigger(plan, last_found=lambda: finds[-1])
    start = NOW + timedelta(days=1, hours=4, minutes=3)
    regular = trigger.get_next_fire_time(start, start)
    assert regular == plan.next_after(start)
    finds.append(start)  # the crawl at ``start`` found an article
    assert plan.follow_gap is not None
    following = trigger.get_next_fire_time(start, start)
    assert following is not None and following - start <= plan.follow_gap
    trigger.found(start - timedelta(hours=1))  # an older find changes nothing
    assert trigger.get_next_fire_time(start, start) == following


def test_a_replay_of_a_bursty_site_beats_the_fixed_interval() -> None:
    fixed, adaptive, articles = run("bursty", days=150, budget=48, seed=3)
    assert articles > 60
    assert adaptive.summary()[0] < 0.7 * fixed.summary()[0]
    assert abs(adaptive.summary()[3] - 48) < 1.5


def test_plans_in_a_zone_with_daylight_saving_time_stay_monotonic() -> None:
    plan = even_plan(48, "Europe/Berlin")
    for start in (datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 10, 24, tzinfo=UTC)):
        polls = fire_times(plan, start, 3)
        gaps = [b - a for a, b in zip(polls, polls[1:], strict=False)]
        assert min(gaps) > timedelta(0) and max(gaps) <= timedelta(hours=1, minutes=30)
        assert 48 * 3 - 2 <= len(polls) <= 48 * 3 + 2
