"""Source health, judged from a source's recent runs: one state at a time, with a reason in words.

Pure; no settings read, no database: the caller hands the recent runs (``RunSummary``, newest
first, finished ones only), when the source last stored a new article, its usual interval between
new articles (``usual_interval``, learned from the times of its runs that found something new) and
the time ``now``. ``judge`` returns a ``Verdict``. States, in order of precedence (the first that
holds wins):

1. ``blocked``: the latest run met anti-bot answers (counter ``blocked``: a JavaScript challenge
   or a dynamic-cookie wall, ``crawler.monitor.antibot``) and read no list page.
2. ``failing``: the last ``failing_after`` runs failed (status ``failed`` or ``timeout``: no list
   page, feed or sitemap could be read). Interrupted runs (a crawl stopped by the operator) are
   skipped: they say nothing about the site.
3. ``broken``: the last ``broken_after`` runs loaded list pages (not all of them answered 304 Not
   Modified) and found no article link on them (counter ``list_links``), while an earlier run did
   find links: a redesign. A source already ``broken`` stays so while its runs still find nothing,
   even once the runs that had links are out of the window.
4. ``degraded``: over the last ``degraded_runs`` runs, at least ``degraded_min_articles`` new
   articles were stored and most of them (more than ``degraded_share``) had weak bodies (counter
   ``weak_bodies``: flags ``empty_body``, ``short_body``, ``boilerplate_only``).
5. ``quiet``: with at least ``quiet_min_gaps`` intervals of history, nothing new for
   ``quiet_factor`` times the usual interval (and at least ``quiet_floor``).
6. ``ok``.

Runs recorded before a counter existed don't carry it; they count neither for nor against a
state that needs it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

STATES: Final = ("blocked", "failing", "broken", "degraded", "quiet", "ok")
"""Every state, in order of precedence."""
FAILED_STATUSES: Final = frozenset({"failed", "timeout"})
SKIPPED_STATUSES: Final = frozenset({"running", "interrupted"})
WEAK_BODY_FLAGS: Final = frozenset({"empty_body", "short_body", "boilerplate_only"})
"""Quality flags (``crawler.analyze.quality``) that make a new article's body weak."""
ANTIBOT_PREFIX: Final = "anti-bot challenge: "


def is_weak_body(flags: Sequence[str]) -> bool:
    """Whether an article's quality flags say its extraction gave no real body."""
    return not WEAK_BODY_FLAGS.isdisjoint(flags)


@dataclass(frozen=True)
class HealthPolicy:
    """The thresholds of the judgement (``failing_after`` and ``quiet_factor`` come from the
    config's ``health`` section; the others are fixed defaults)."""

    failing_after: int = 3
    quiet_factor: float = 4.0
    quiet_floor: timedelta = timedelta(days=2)
    quiet_min_gaps: int = 5
    broken_after: int = 2
    degraded_runs: int = 3
    degraded_min_articles: int = 3
    degraded_share: float = 0.5
    history: int = 30
    """How many recent new-article times the usual interval is learned from."""

    def runs_needed(self) -> int:
        """How many recent runs a judgement reads: enough for every check, and some earlier
        runs that show whether list pages used to give links."""
        return max(self.failing_after, self.broken_after + 8, self.degraded_runs + 8)


@dataclass(frozen=True)
class RunSummary:
    """What the judgement reads of one finished crawl run."""

    status: str
    started_at: datetime
    counts: Mapping[str, int] = field(default_factory=dict)
    errors: Sequence[Mapping[str, str]] = ()


@dataclass(frozen=True)
class Verdict:
    state: str
    reason: str
    consecutive_failures: int


def usual_interval(times: Sequence[datetime], min_gaps: int = 5) -> timedelta | None:
    """The median gap between consecutive times (of runs that found new articles), or None
    with fewer than ``min_gaps`` gaps."""
    ordered = sorted(times)
    gaps = [later - earlier for earlier, later in zip(ordered, ordered[1:], strict=False)]
    if len(gaps) < max(1, min_gaps):
        return None
    return statistics.median_low(gaps)


def judge(
    runs: Sequence[RunSummary],
    *,
    now: datetime,
    last_new_article_at: datetime | None,
    interval: timedelta | None,
    policy: HealthPolicy = HealthPolicy(),
    previous: str | None = None,
) -> Verdict:
    """The state of a source from its recent runs (newest first) at ``now``.

    ``interval`` is its usual interval between new articles (None: not enough history);
    ``previous`` its state before this judgement (keeps ``broken`` while runs find nothing).
    """
    done = [run for run in runs if run.status not in SKIPPED_STATUSES]
    failures = 0
    for run in done:
        if run.status not in FAILED_STATUSES:
            break
        failures += 1
    if not done:
        return Verdict("ok", "not crawled yet", 0)
    checks = (("blocked", _blocked), ("failing", _failing), ("broken", _broken))
    for state, check in (*checks, ("degraded", _degraded)):
        reason = check(done, failures, policy, previous)
        if reason:
            return Verdict(state, reason, failures)
    reason = _quiet(now, last_new_article_at, interval, policy)
    if reason:
        return Verdict("quiet", reason, failures)
    return Verdict("ok", _ok_reason(done[0]), failures)


def _blocked(
    runs: Sequence[RunSummary], failures: int, policy: HealthPolicy, previous: str | None
) -> str:
    latest = runs[0]
    blocked = latest.counts.get("blocked", 0)
    if blocked <= 0 or latest.counts.get("list_pages", 0) > 0:
        return ""
    shields = sorted({_shield(error.get("error", "")) for error in latest.errors} - {""})
    by = f" ({', '.join(shields)})" if shields else ""
    return (
        f"the site answered with anti-bot challenges{by}: {blocked} in the last run, "
        "which read no list page"
    )


def _shield(error: str) -> str:
    """The shield an error message names (``... anti-bot challenge: jiasule (HTTP 521 ...``)."""
    at = error.find(ANTIBOT_PREFIX)
    if at < 0:
        return ""
    return error[at + len(ANTIBOT_PREFIX) :].split(" ", 1)[0]


def _failing(
    runs: Sequence[RunSummary], failures: int, policy: HealthPolicy, previous: str | None
) -> str:
    if failures < policy.failing_after:
        return ""
    last_error = next((e.get("error", "") for e in runs[0].errors if e.get("error")), "")
    detail = f"; last error: {last_error}" if last_error else ""
    return f"{failures} consecutive failed runs{detail}"


def _loaded_no_links(run: RunSummary) -> bool:
    """A run whose list pages loaded (not all 304) and gave no article link."""
    counts = run.counts
    if run.status in FAILED_STATUSES or "list_links" not in counts:
        return False
    loaded = counts.get("list_pages", 0) - counts.get("not_modified", 0)
    return loaded > 0 and counts["list_links"] == 0


def _broken(
    runs: Sequence[RunSummary], failures: int, policy: HealthPolicy, previous: str | None
) -> str:
    # Runs that only met 304s, or failed, say nothing about the list pages' content.
    judged = [
        run
        for run in runs
        if run.status not in FAILED_STATUSES
        and "list_links" in run.counts
        and run.counts.get("list_pages", 0) > run.counts.get("not_modified", 0)
    ]
    recent = judged[: policy.broken_after]
    if len(recent) < policy.broken_after or not all(_loaded_no_links(run) for run in recent):
        return ""
    earlier = [run for run in judged[policy.broken_after :] if run.counts["list_links"] > 0]
    if not earlier and previous != "broken":
        return ""
    pages = sum(run.counts.get("list_pages", 0) for run in recent)
    return (
        f"list pages load but give no article link: {pages} list pages in the last "
        f"{len(recent)} runs, 0 links (earlier runs found links; a redesign?)"
    )


def _degraded(
    runs: Sequence[RunSummary], failures: int, policy: HealthPolicy, previous: str | None
) -> str:
    counted = [
        run
        for run in runs
        if run.status not in FAILED_STATUSES
        and "weak_bodies" in run.counts
        and run.counts.get("new_articles", 0) > 0
    ][: policy.degraded_runs]
    new = sum(run.counts.get("new_articles", 0) for run in counted)
    weak = sum(run.counts.get("weak_bodies", 0) for run in counted)
    if new < policy.degraded_min_articles or weak <= new * policy.degraded_share:
        return ""
    return (
        f"{weak} of the last {new} new articles had empty, short or boilerplate-only bodies "
        "(extraction no longer finds the text?)"
    )


def _quiet(
    now: datetime,
    last_new: datetime | None,
    interval: timedelta | None,
    policy: HealthPolicy,
) -> str:
    if interval is None or last_new is None:
        return ""
    limit = max(policy.quiet_floor, interval * policy.quiet_factor)
    silent = now - last_new
    if silent <= limit:
        return ""
    return (
        f"nothing new for {_span(silent)}; usually something every {_span(interval)} "
        f"(quiet after {_span(limit)})"
    )


def _ok_reason(latest: RunSummary) -> str:
    counts = latest.counts
    return (
        f"last run {latest.status}: {counts.get('list_pages', 0)} list pages, "
        f"{counts.get('new_articles', 0)} new articles"
    )


def _span(delta: timedelta) -> str:
    """A duration in words: 3 days, 5.5 hours, 20 minutes."""
    seconds = delta.total_seconds()
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days".replace(".0 ", " ")
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} hours".replace(".0 ", " ")
    return f"{max(0, round(seconds / 60))} minutes"
