"""The health judgement (``crawler.monitor.health``) on fake runs and a fake clock: each state,
what keeps it, the precedence between states, and the usual interval learned from history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.monitor.health import HealthPolicy, RunSummary, judge, usual_interval

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
POLICY = HealthPolicy(failing_after=3, quiet_factor=4.0)


def run(
    status: str = "ok", hours_ago: float = 0, errors: tuple[str, ...] = (), **counts: int
) -> RunSummary:
    base = {"blocked": 0, "list_links": 10, "weak_bodies": 0, "list_pages": 1, "new_articles": 0}
    return RunSummary(
        status=status,
        started_at=NOW - timedelta(hours=hours_ago),
        counts={**base, **counts},
        errors=[{"url": "http://x/", "error": e} for e in errors],
    )


FAILED = {"list_pages": 0, "list_links": 0, "failed": 1}


def verdict(
    runs: list[RunSummary],
    *,
    last_new: datetime | None = NOW,
    interval: timedelta | None = None,
    previous: str | None = None,
):
    return judge(
        runs,
        now=NOW,
        last_new_article_at=last_new,
        interval=interval,
        policy=POLICY,
        previous=previous,
    )


def test_ok_and_not_crawled() -> None:
    assert verdict([]).state == "ok"
    v = verdict([run(new_articles=2)])
    assert (v.state, v.consecutive_failures) == ("ok", 0)
    assert "2 new articles" in v.reason


def test_failing_after_n_consecutive_failures_and_back() -> None:
    two = [run("failed", errors=("HTTP 500",), **FAILED), run("failed", **FAILED), run()]
    assert verdict(two).state == "ok"
    assert verdict(two).consecutive_failures == 2
    three = [run("timeout", **FAILED), *two]
    v = verdict(three)
    assert v.state == "failing" and v.consecutive_failures == 3
    assert v.reason.startswith("3 consecutive failed runs")
    # interrupted runs (the operator stopped the crawl) neither break nor extend the streak
    assert verdict([run("interrupted"), *three]).state == "failing"
    assert verdict([run("partial"), *three]).state == "ok"


def test_blocked_on_the_latest_run_and_precedence_over_failing() -> None:
    blocked = run(
        "failed",
        errors=("AntiBotChallenge: anti-bot challenge: jiasule (HTTP 521, Set-Cookie __jsluid_h)",),
        blocked=2,
        **FAILED,
    )
    v = verdict([blocked])
    assert v.state == "blocked"
    assert "jiasule" in v.reason and "2 in the last run" in v.reason
    # blocked wins over failing: it says why the runs fail
    assert verdict([blocked, run("failed", **FAILED), run("failed", **FAILED)]).state == "blocked"
    # a challenge on an article page while list pages load is not blocked
    assert verdict([run("partial", blocked=1, list_pages=2)]).state == "ok"
    # the next run passes: no longer blocked
    assert verdict([run(), blocked]).state == "ok"


def test_broken_when_list_pages_load_without_links_where_they_used_to() -> None:
    empty = run(list_links=0, list_pages=1)
    assert verdict([empty, run(), run()]).state == "ok"  # one run is not enough
    v = verdict([empty, empty, run(), run()])
    assert v.state == "broken"
    assert "no article link" in v.reason
    # never had links (a source configured on a bad page): not a redesign
    assert verdict([empty, empty, empty]).state == "ok"
    # ... but a source already broken stays so once its runs with links left the window
    assert verdict([empty, empty, empty], previous="broken").state == "broken"
    # links are back
    assert verdict([run(), empty, empty], previous="broken").state == "ok"


def test_all_not_modified_is_no_redesign() -> None:
    unchanged = run(list_links=0, list_pages=2, not_modified=2)
    assert verdict([unchanged, unchanged, unchanged, run()]).state == "ok"
    # 304 runs in between do not hide a redesign either
    empty = run(list_links=0, list_pages=1)
    assert verdict([unchanged, empty, unchanged, empty, run()]).state == "broken"


def test_runs_without_the_counters_count_neither_way() -> None:
    old = RunSummary("ok", NOW - timedelta(days=3), {"list_pages": 1, "new_articles": 5})
    empty = run(list_links=0)
    assert verdict([empty, old, old]).state == "ok"
    assert verdict([run(new_articles=3, weak_bodies=0), old]).state == "ok"


def test_degraded_when_most_new_pages_have_weak_bodies() -> None:
    weak = run(new_articles=2, weak_bodies=2)
    assert verdict([weak]).state == "ok"  # under the minimum of 3 articles
    v = verdict([weak, run(new_articles=2, weak_bodies=1)])
    assert v.state == "degraded" and "3 of the last 4" in v.reason
    # half is not most
    assert verdict([run(new_articles=4, weak_bodies=2)]).state == "ok"
    # runs with nothing new don't dilute it; good articles in the last runs end it
    assert verdict([run(), weak, weak]).state == "degraded"
    assert (
        verdict([run(new_articles=5), run(new_articles=5), run(new_articles=5), weak, weak]).state
        == "ok"
    )


def test_quiet_after_several_usual_intervals_with_a_floor_and_enough_history() -> None:
    day = timedelta(days=1)
    assert verdict([run()], last_new=NOW - 5 * day, interval=day).state == "quiet"
    v = verdict([run()], last_new=NOW - 5 * day, interval=day)
    assert "nothing new for 5 days" in v.reason and "every 24 hours" in v.reason
    assert verdict([run()], last_new=NOW - 3 * day, interval=day).state == "ok"
    # the floor: an hourly publisher silent for a day is not quiet yet
    assert verdict([run()], last_new=NOW - day, interval=timedelta(hours=1)).state == "ok"
    assert verdict([run()], last_new=NOW - 3 * day, interval=timedelta(hours=1)).state == "quiet"
    # no usual interval (not enough history): never quiet
    assert verdict([run()], last_new=NOW - 300 * day, interval=None).state == "ok"
    # failing comes first
    failing = [run("failed", **FAILED)] * 3
    assert verdict(failing, last_new=NOW - 30 * day, interval=day).state == "failing"


def test_precedence_broken_over_degraded_over_quiet() -> None:
    day = timedelta(days=1)
    empty = run(list_links=0)
    weak = run(new_articles=3, weak_bodies=3)
    assert verdict([empty, empty, weak], last_new=NOW - 30 * day, interval=day).state == "broken"
    assert verdict([weak], last_new=NOW - 30 * day, interval=day).state == "degraded"


def test_usual_interval_is_the_median_gap_with_enough_history() -> None:
    start = NOW - timedelta(days=30)
    times = [start + timedelta(days=d) for d in (0, 1, 2, 3, 10, 11)]
    assert usual_interval(times, min_gaps=5) == timedelta(days=1)
    assert usual_interval(times[:5], min_gaps=5) is None
    assert usual_interval(list(reversed(times)), min_gaps=3) == timedelta(days=1)
