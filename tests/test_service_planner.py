"""The due-planner on a fake clock: no waits, times are plain datetimes handed to it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from crawler.config import parse_config
from crawler.schedules import parse_schedule
from crawler.service.planner import DuePlanner, Schedule
from crawler.service.triggers import source_schedule

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def every(text: str) -> Schedule:
    return Schedule(key=text, trigger=parse_schedule(text))


def planner(**kwargs: object) -> DuePlanner:
    kwargs.setdefault("rng", random.Random(7))
    return DuePlanner(**kwargs)  # type: ignore[arg-type]


def test_a_source_never_crawled_is_due_at_once() -> None:
    plan = planner()
    plan.update({"a": every("30m")}, {}, T0)
    assert plan.take_due(T0) == ["a"]
    plan.finished(["a"])
    assert plan.take_due(T0 + 29 * MIN) == []
    assert plan.take_due(T0 + 30 * MIN) == ["a"]


def test_a_service_down_for_three_intervals_crawls_each_source_once() -> None:
    plan = planner()
    last = T0 - 95 * MIN  # three 30-minute polls missed (at -65, -35, -5 minutes)
    plan.update({"a": every("30m"), "b": every("30m")}, {"a": last, "b": last}, T0)
    assert plan.take_due(T0) == ["a", "b"]
    plan.finished(["a", "b"])
    for minute in range(0, 25):
        assert plan.take_due(T0 + minute * MIN) == []  # no replay of the missed polls
    # the next poll is the schedule's first after now: last + 4 x 30 minutes
    assert plan.due_at("a") == last + 120 * MIN
    assert plan.take_due(last + 120 * MIN) == ["a", "b"]


def test_a_source_not_yet_due_after_restart_waits_for_its_time() -> None:
    plan = planner()
    plan.update({"a": every("30m")}, {"a": T0 - 10 * MIN}, T0)
    assert plan.take_due(T0) == []
    assert plan.due_at("a") == T0 + 20 * MIN


def test_jitter_stays_within_its_bounds_and_spreads_sources() -> None:
    jitter = timedelta(minutes=2)
    plan = planner(jitter=jitter)
    ids = [f"s{i}" for i in range(200)]
    plan.update({sid: every("30m") for sid in ids}, dict.fromkeys(ids, T0), T0)
    fire = T0 + 30 * MIN
    offsets = [plan.due_at(sid) - fire for sid in ids]  # type: ignore[operator]
    assert all(timedelta(0) <= offset <= jitter for offset in offsets)
    assert len(set(offsets)) > 150  # spread, not all at once
    # jitter never accumulates: every poll is jittered from the schedule's own fire times
    now = fire + jitter
    for cycle in range(1, 6):
        assert sorted(plan.take_due(now)) == sorted(ids)
        plan.finished(ids)
        fire = T0 + (cycle + 1) * 30 * MIN
        assert all(fire <= plan.due_at(sid) <= fire + jitter for sid in ids)  # type: ignore[operator]
        assert plan.take_due(fire - timedelta(seconds=1)) == []
        now = fire + jitter


def test_jitter_never_splits_a_cycle_into_several_crawls() -> None:
    jitter = timedelta(minutes=2)
    plan = planner(jitter=jitter)
    ids = [f"s{i}" for i in range(100)]
    later = {"late": every("30m")}
    plan.update(
        {**{sid: every("30m") for sid in ids}, **later},
        {**dict.fromkeys(ids, T0), "late": T0 + 5 * MIN},
        T0,
    )
    fire = T0 + 30 * MIN
    first = min(plan.due_at(sid) for sid in ids)  # type: ignore[type-var]
    assert plan.take_due(first - timedelta(microseconds=1)) == []
    assert plan.count_due(first) == 100
    # the first source due takes every source scheduled for this cycle along, not "late"
    assert sorted(plan.take_due(first)) == sorted(ids)
    assert plan.take_due(fire + jitter) == []
    assert plan.due_at("late") is not None and plan.due_at("late") >= T0 + 35 * MIN  # type: ignore[operator]


def test_a_running_source_is_never_started_again_until_it_finishes() -> None:
    plan = planner()
    plan.update({"slow": every("10m"), "quick": every("10m")}, {}, T0)
    assert plan.take_due(T0) == ["slow", "quick"]
    plan.finished(["quick"])
    # the slow crawl runs for an hour: six polls pass, it is never handed out twice
    for minute in range(1, 61):
        due = plan.take_due(T0 + minute * MIN)
        assert "slow" not in due
        plan.finished(due)
    assert plan.running() == ["slow"]
    plan.finished(["slow"])
    assert plan.take_due(T0 + 61 * MIN) == ["slow"]  # once, coalesced
    plan.finished(["slow"])
    assert plan.take_due(T0 + 62 * MIN) == []


def test_due_sources_of_one_tick_come_as_one_batch() -> None:
    plan = planner(jitter=timedelta(seconds=5))
    ids = [f"site{i:05d}" for i in range(1000)]
    plan.update({sid: every("30m") for sid in ids}, dict.fromkeys(ids, T0 - 2 * 60 * MIN), T0)
    assert plan.count_due(T0) == 1000
    batch = plan.take_due(T0)
    assert batch == ids
    assert plan.take_due(T0) == [] and plan.count_due(T0) == 0
    plan.finished(batch)
    assert sorted(plan.take_due(T0 + 31 * MIN)) == ids


def test_misfire_grace_skips_a_poll_missed_too_long_ago() -> None:
    daily = every("0 8 * * *")
    plan = planner(misfire_grace=timedelta(hours=1))
    yesterday = T0 - timedelta(days=1)  # T0 is 08:00
    # started at 15:00: today's 08:00 poll is seven hours late, past the grace: skipped
    plan.update({"late": daily}, {"late": yesterday}, T0 + timedelta(hours=7))
    assert plan.take_due(T0 + timedelta(hours=7)) == []
    assert plan.due_at("late") == T0 + timedelta(days=1)
    assert plan.skipped == [("late", T0)]
    # started at 08:30: within the grace, due at once
    plan = planner(misfire_grace=timedelta(hours=1))
    plan.update({"late": daily}, {"late": yesterday}, T0 + 30 * MIN)
    assert plan.take_due(T0 + 30 * MIN) == ["late"]
    assert plan.skipped == []


def test_misfire_grace_applies_to_a_poll_held_up_by_a_long_crawl() -> None:
    plan = planner(misfire_grace=timedelta(minutes=10))
    plan.update({"a": every("1d")}, {}, T0)
    assert plan.take_due(T0) == ["a"]
    plan.finished(["a"])
    # the service was suspended across the next poll and wakes 30 minutes after it
    assert plan.take_due(T0 + timedelta(days=1, minutes=30)) == []
    assert plan.due_at("a") == T0 + timedelta(days=2)
    assert plan.skipped == [("a", T0 + timedelta(days=1))]


def test_reload_adds_removes_and_reschedules() -> None:
    plan = planner()
    plan.update({"a": every("30m"), "b": every("30m")}, {}, T0)
    assert plan.take_due(T0) == ["a", "b"]
    plan.finished(["a", "b"])
    changes = plan.update(
        {"a": every("30m"), "b": every("2h"), "c": every("1h")}, {"a": T0, "b": T0}, T0 + MIN
    )
    assert (changes.added, changes.removed, changes.rescheduled) == (["c"], [], ["b"])
    assert plan.due_at("b") == T0 + 120 * MIN
    assert plan.take_due(T0 + MIN) == ["c"]  # the new source, never crawled
    plan.finished(["c"])
    assert plan.take_due(T0 + 30 * MIN) == ["a"]  # b now waits for its 2 hours
    changes = plan.update({"b": every("2h"), "c": every("1h")}, {}, T0 + 31 * MIN)
    assert changes.removed == ["a"] and "a" not in plan
    plan.finished(["a"])  # a removed source's crawl may still end: ignored
    assert len(plan) == 2


def test_a_rescheduled_source_in_a_running_crawl_stays_running() -> None:
    plan = planner()
    plan.update({"a": every("30m")}, {}, T0)
    assert plan.take_due(T0) == ["a"]
    plan.update({"a": every("5m")}, {"a": T0}, T0 + MIN)
    assert plan.take_due(T0 + 10 * MIN) == []
    plan.finished(["a"])
    assert plan.take_due(T0 + 10 * MIN) == ["a"]


def test_the_trigger_of_a_source() -> None:
    config = parse_config(
        {
            "service": {"default_schedule": "2h"},
            "sources": [
                {"id": "plain", "name": "P", "start_urls": ["http://a.example.cn/"]},
                {
                    "id": "cron",
                    "name": "C",
                    "start_urls": ["http://b.example.cn/"],
                    "schedule": "*/10 * * * *",
                },
                {
                    "id": "learn",
                    "name": "L",
                    "start_urls": ["http://c.example.cn/"],
                    "schedule": "adaptive",
                },
            ],
        }
    )
    plain, cron, learn = (source_schedule(s, config) for s in config.sources)
    assert plain.key == "2h"
    assert plain.trigger.get_next_fire_time(T0, T0) == T0 + 120 * MIN
    assert cron.trigger.get_next_fire_time(T0, T0) == T0 + 10 * MIN
    assert learn.key == "adaptive:2h"  # until the adaptive trigger plugs in
    assert learn.trigger.get_next_fire_time(T0, T0) == T0 + 120 * MIN
