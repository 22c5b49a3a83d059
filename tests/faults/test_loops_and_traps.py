"""Sites that never end: redirect and meta-refresh loops, calendar and date-parameter traps.

Each runs the real CLI against a hostile site on loopback that also serves good articles, and
checks that the crawl ends in bounded time and requests, that a loop is counted as a failure in its
``crawl_runs`` row (not stored), and that the good articles are stored once each. Bounded by
``REDIRECT_MAX_TIMES`` (5, redirects and meta refreshes alike), ``max_list_pages`` per source
(default 20) and the rule that pagination stops at a list page offering nothing unseen.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import settings
from crawler.config import SourceConfig
from tests.faults.hostile import HostileSite, Reply, Request, html, redirect, source, write_config
from tests.faults.newsroom import (
    article_links,
    article_page,
    article_path,
    crawl_measured,
    list_page,
    news_routes,
    runs,
    stored_urls,
)

GOOD = range(1, 4)
IN_PROCESS = {"FORUMWATCH_EXTRACT_WORKERS": 0}


def refresh_page(target: str) -> Reply:
    return html(
        f"<html><head><meta http-equiv='refresh' content='0; url={target}'><title>跳转</title>"
        "</head><body><p>页面跳转中……</p></body></html>"
    )


def run_errors(run: dict[str, object]) -> dict[str, str]:
    errors = run["errors"]
    listed = json.loads(errors) if isinstance(errors, str) else errors
    assert isinstance(listed, list)
    return {entry["url"]: entry["error"] for entry in listed}


def test_redirect_and_meta_refresh_loops_end_as_failures(tmp_path: Path) -> None:
    """Scenario: article links that redirect A -> B -> A, to themselves, or on and on to a new
    URL each time (?n=k -> ?n=k+1); the same with <meta http-equiv=refresh> (A -> B -> A, self);
    and two sources whose start URL loops (a redirect via another URL back to itself, a meta
    refresh to itself); good articles next to them, listed by two sources sharing a start URL.
    Pass: the crawl ends within 60 s and exits 0; no loop URL is requested more than
    REDIRECT_MAX_TIMES + 1 times per link; each looping article is one failure of the run
    ("max redirections reached"), and each looping start URL fails its source (a loop is never
    dropped silently as a duplicate request, leaving an "ok" run that read nothing); nothing of
    them is stored; the good articles are, once; the shared start URL is read for both sources."""
    hops = settings.REDIRECT_MAX_TIMES

    def growing(request: Request) -> Reply:
        step = int(parse_qs(request.query).get("n", ["0"])[0])
        return redirect(f"/loop/grow.html?n={step + 1}")

    hostile = {
        "/loop/a.html": lambda _r: redirect("/loop/b.html"),
        "/loop/b.html": lambda _r: redirect("/loop/a.html", 301),
        "/loop/self.html": lambda _r: redirect("/loop/self.html", 307),
        "/loop/grow.html": growing,
        "/refresh/a.html": lambda _r: refresh_page("/refresh/b.html"),
        "/refresh/b.html": lambda _r: refresh_page("/refresh/a.html"),
        "/refresh/self.html": lambda _r: refresh_page("/refresh/self.html"),
        "/looping-list/": lambda _r: redirect("/looping-list/?from=1"),
        "/refreshing-list/": lambda _r: refresh_page("/refreshing-list/"),
    }
    linked = ["/loop/a.html", "/loop/self.html", "/loop/grow.html", "/refresh/a.html"]
    linked.append("/refresh/self.html")
    links = [(path, f"第九届城市发展论坛专题报道{i}号在荆门发布") for i, path in enumerate(linked)]
    with HostileSite({**news_routes(GOOD, extra_links=links), **hostile}) as site:
        config = write_config(
            tmp_path,
            [
                source("s", site.url("/news/")),
                source("s-again", site.url("/news/")),
                source("looping", site.url("/looping-list/")),
                source("refreshing", site.url("/refreshing-list/")),
            ],
            settings=IN_PROCESS,
        )
        result = crawl_measured(config, timeout=120)
        requested = Counter(site.paths())
        base = site.base_url

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.seconds < 60, f"took {result.seconds:.0f} s"
    result.assert_clean()
    for path in hostile:
        assert requested[path] <= hops + 1, (path, requested[path])
    db_url = f"sqlite:///{tmp_path / 'fw.db'}"
    assert stored_urls(db_url) == {base + article_path(n): 1 for n in GOOD}
    # Both sources read the column; whichever schedules an article first counts it.
    both = runs(db_url, "s") + runs(db_url, "s-again")
    assert [row["list_pages"] for row in both] == [1, 1], both
    assert sum(row["new_articles"] for row in both) == len(GOOD)
    assert sum(row["failed"] for row in both) == len(linked), both
    errors = [message for row in both for message in run_errors(row).values()]
    assert set(errors) == {"IgnoreRequest: max redirections reached"}
    for looping_source in ("looping", "refreshing"):
        [looping] = runs(db_url, looping_source)
        assert (looping["status"], looping["list_pages"], looping["failed"]) == ("failed", 0, 1)
        assert list(run_errors(looping).values()) == ["IgnoreRequest: max redirections reached"]


def calendar(month: date) -> str:
    return f"/calendar/?month={month:%Y-%m}"


def test_calendar_and_date_traps_stop_at_max_list_pages(tmp_path: Path) -> None:
    """Scenario: a calendar column whose 下一页 link always leads to the next month, forever, each
    month listing two new events (a trap that always offers something unseen); and an agenda
    whose next link moves a date parameter one day on, forever, every day listing the same three
    articles.
    Pass: the crawl ends within 60 s and exits 0; the calendar is read for exactly
    max_list_pages (default 20) months and its 40 events are stored once each; the agenda, never
    walked to its end before, is walked to max_list_pages too (a first walk does not stop at a
    page with nothing unseen), its three articles stored once; a second crawl, the walks now
    recorded, reads one page of each."""
    pages = SourceConfig.model_fields["max_list_pages"].default
    first = date(2024, 1, 1)

    def month_page(request: Request) -> Reply:
        month = date.fromisoformat(parse_qs(request.query)["month"][0] + "-01")
        index = (month.year - first.year) * 12 + month.month - first.month
        numbers = [100 + 2 * index, 101 + 2 * index]
        following = (month + timedelta(days=31)).replace(day=1)
        pager = f"<div class='page'><a href='{calendar(following)}'>下一页</a></div>"
        return html(list_page(article_links(numbers, "/events"), extra=pager))

    def agenda(request: Request) -> Reply:
        day = date.fromisoformat(parse_qs(request.query).get("date", ["2024-11-04"])[0])
        pager = (
            f"<div class='page'><a href='/agenda/?date={day + timedelta(days=1)}'>下一页</a></div>"
        )
        return html(list_page(article_links(GOOD, "/agenda"), extra=pager))

    def event(request: Request) -> Reply:
        return html(article_page(int(request.path.rsplit("_", 1)[1].split(".")[0]) - 1000))

    routes = {
        **news_routes(GOOD, prefix="/agenda"),
        "/agenda/": agenda,
        "/calendar/": month_page,
        "/events/*": event,
    }
    with HostileSite(routes) as site:
        config = write_config(
            tmp_path,
            [
                source("calendar", site.url(calendar(first))),
                source("agenda", site.url("/agenda/?date=2024-11-04")),
            ],
            settings=IN_PROCESS,
        )
        result = crawl_measured(config, timeout=120)
        requested = Counter(site.paths())
        again = crawl_measured(config, timeout=120)
        requested_again = Counter(site.paths()) - requested
        base = site.base_url

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.seconds < 60, f"took {result.seconds:.0f} s"
    result.assert_clean()
    assert again.returncode == 0, again.stdout + again.stderr
    assert requested["/calendar/"] == pages
    assert requested["/agenda/"] == pages
    assert requested_again["/calendar/"] == requested_again["/agenda/"] == 1
    events = {base + article_path(100 + i, "/events") for i in range(2 * pages)}
    agenda_articles = {base + article_path(n, "/agenda") for n in GOOD}
    assert stored_urls(db_url := f"sqlite:///{tmp_path / 'fw.db'}") == dict.fromkeys(
        events | agenda_articles, 1
    )
    cal, _ = runs(db_url, "calendar")
    assert (cal["status"], cal["list_pages"], cal["new_articles"]) == ("ok", pages, 2 * pages)
    agenda_run, _ = runs(db_url, "agenda")
    assert agenda_run["status"] == "ok" and agenda_run["list_pages"] == pages, agenda_run
