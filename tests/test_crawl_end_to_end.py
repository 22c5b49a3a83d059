"""End to end: the real ``forumwatch`` CLI crawling the fixture sites on loopback into a real database.

Per backend (SQLite, PostgreSQL) one module-scoped ``demo`` state is built once, in order:

1. ``crawl`` of all five fixture sites into an empty database;
2. a second ``crawl`` of the unchanged sites;
3. ``reextract`` over the stored articles.

Each crawl runs in a child process (a Twisted reactor runs once per process); the read-only
commands (``articles``, ``show``, ``sources``) run in this process through typer's runner. After
each step the server hits, the CLI's output and the database's state are kept, and the tests
below only check them, so they may run in any order or alone.

Expected outcomes come from each site's ``_expected.yaml``. Extraction and discovery cases known
to be wrong are marked ``xfail(strict=True)`` in ``EXTRACTION_XFAILS`` / ``DISCOVERY_XFAILS``.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from crawler.cli import app
from storage import queries
from storage.db import get_engine, session_scope
from storage.models import Article, Attachment, CrawlRun
from tests.fixtures_sites import (
    FAST_RETRIES,
    demo_config,
    parse_crawl_summary,
    run_cli,
    site_expectations,
    site_names,
    snapshot_hits,
    update_scrapy_settings,
)
from tests.sites.server import Hit, SiteServer

SITES = site_names()
ALL = 10_000  # an --limit above any fixture count
JSON_FIELDS = (
    "id",
    "url",
    "canonical_url",
    "source",
    "title",
    "text",
    "published_at",
    "author",
    "origin",
    "site_name",
    "language",
    "fetched_at",
    "flags",
    "relevant",
    "relevance_score",
    "topics",
    "event",
    "story_id",
)

# (site, path, field) -> what extraction gets wrong; each case is an xfail(strict=True).
# field is one of "title", "published", "language".
EXTRACTION_XFAILS: dict[tuple[str, str, str], str] = {}
# site -> what discovery gets wrong (the stored URL set differs from _expected.yaml).
DISCOVERY_XFAILS: dict[str, str] = {}

cli = CliRunner()


# -- the shared crawl ------------------------------------------------------------------------


@dataclass
class Step:
    """One crawl: its process result, summary table, and what the servers and database saw."""

    result: subprocess.CompletedProcess[str]
    summary: dict[str, dict[str, str]]
    hits: dict[str, list[Hit]]
    articles: list[dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    runs: dict[str, CrawlRun]


@dataclass
class Demo:
    db_url: str
    config: Path
    base: dict[str, str]
    first: Step
    second: Step
    shown: dict[str, dict[str, Any]]
    """``show --json`` of every stored article after the first crawl, by URL."""
    attachments: list[Attachment]
    sources_text: str
    reextract: subprocess.CompletedProcess[str]
    extracted_before: dict[int, datetime]
    extracted_after: dict[int, datetime]
    articles_after_reextract: list[dict[str, Any]]
    listings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """``articles --json`` with filters (``--source``, ``--since``, ``--limit``), by label."""
    stories: list[dict[str, Any]] = field(default_factory=list)
    """``stories --json`` after the first crawl."""


def invoke(config: Path, *args: str) -> str:
    """A read-only CLI command in this process; its stdout (exit status 0 asserted)."""
    result = cli.invoke(app, ["--config", str(config), *args], env={"COLUMNS": "400"})
    assert result.exit_code == 0, f"forumwatch {' '.join(args)}: {result.output}"
    return result.stdout


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def list_articles(config: Path, *args: str) -> list[dict[str, Any]]:
    return json_lines(invoke(config, "articles", "--json", *args))


def crawl(config: Path, db_url: str, servers: dict[str, SiteServer]) -> Step:
    for server in servers.values():
        server.clear_hits()
    result = run_cli(config, "crawl")
    hits = snapshot_hits(servers)
    assert result.returncode == 0, (
        f"crawl exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    with session_scope(get_engine(db_url)) as session:
        runs = {
            o.source.id: o.last_run
            for o in queries.source_overview(session=session)
            if o.last_run is not None
        }
    return Step(
        result=result,
        summary=parse_crawl_summary(result.stdout),
        hits=hits,
        articles=list_articles(config, "--limit", str(ALL)),
        sources={row["id"]: row for row in json_lines(invoke(config, "sources", "--json"))},
        runs=runs,
    )


def extracted_times(db_url: str) -> dict[int, datetime]:
    with session_scope(get_engine(db_url)) as session:
        rows = session.exec(select(Article.id, Article.extracted_at)).all()
    return {article_id: at for article_id, at in rows if article_id is not None}


@pytest.fixture(scope="module")
def demo(
    module_db_url: str,
    demo_sites: dict[str, str],
    demo_site_servers: dict[str, SiteServer],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Demo]:
    db_url = module_db_url
    config = demo_config(tmp_path_factory.mktemp("e2e"), demo_sites, db_url)
    # the 500 page is retried twice (RETRY_TIMES stays 2); only the backoff between tries is cut
    update_scrapy_settings(config, **FAST_RETRIES)

    first = crawl(config, db_url, demo_site_servers)
    shown = {
        row["url"]: json_lines(invoke(config, "show", str(row["id"]), "--json"))[0]
        for row in first.articles
    }
    with session_scope(get_engine(db_url)) as session:
        attachments = list(session.exec(select(Attachment)).all())
    sources_text = invoke(config, "sources")
    stories = json_lines(invoke(config, "stories", "--json", "--limit", str(ALL)))
    listings = {
        "since": list_articles(config, "--since", "2024-01-01", "--limit", str(ALL)),
        "limit": list_articles(config, "--limit", "5"),
        "default": list_articles(config),
        "combined": list_articles(
            config, "--source", "portal", "--since", "2022-01-01", "--limit", "2"
        ),
    }
    for site in SITES:
        listings[f"source:{site}"] = list_articles(config, "--source", site, "--limit", str(ALL))

    second = crawl(config, db_url, demo_site_servers)

    before = extracted_times(db_url)
    reextracted = run_cli(config, "reextract")
    after = extracted_times(db_url)

    yield Demo(
        db_url=db_url,
        config=config,
        base=dict(demo_sites),
        first=first,
        second=second,
        shown=shown,
        attachments=attachments,
        sources_text=sources_text,
        reextract=reextracted,
        extracted_before=before,
        extracted_after=after,
        articles_after_reextract=list_articles(config, "--limit", str(ALL)),
        listings=listings,
        stories=stories,
    )


# -- expectations ------------------------------------------------------------------------------


def urls(demo: Demo, site: str, key: str) -> set[str]:
    """Absolute URLs of one ``_expected.yaml`` list of a site (entries may be dicts)."""
    return {
        demo.base[site] + (entry["path"] if isinstance(entry, dict) else entry)
        for entry in site_expectations(site)[key]
    }


def fault_paths(site: str) -> set[str]:
    """Paths that must fail: the declared errors and the oversized pages."""
    expected = site_expectations(site)
    return {entry["path"] for entry in expected["errors"] + expected["oversized"]}


def stored_by_url(step: Step) -> dict[str, dict[str, Any]]:
    return {row["url"]: row for row in step.articles}


def site_param(site: str) -> Any:
    reason = DISCOVERY_XFAILS.get(site)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(site, id=site, marks=marks)


def article_params(check: str) -> list[Any]:
    params = []
    for site in SITES:
        for entry in site_expectations(site)["articles"]:
            reason = EXTRACTION_XFAILS.get((site, entry["path"], check))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(site, entry, id=f"{site}:{entry['path']}", marks=marks))
    return params


def stored_article(demo: Demo, site: str, path: str) -> dict[str, Any]:
    row = stored_by_url(demo.first).get(demo.base[site] + path)
    if row is None:
        pytest.fail(f"{site}:{path} was not stored (discovery); cannot check its extraction")
    return row


# -- 1. what the first crawl stores --------------------------------------------------------------


def test_first_crawl_finishes_and_exits_0(demo: Demo) -> None:
    assert demo.first.result.returncode == 0
    assert "crawl finished (finished)" in demo.first.result.stdout
    assert set(demo.first.summary) == {*SITES, "all"}


@pytest.mark.parametrize("site", [site_param(site) for site in SITES])
def test_stores_exactly_the_expected_articles(demo: Demo, site: str) -> None:
    stored = {row["url"] for row in demo.first.articles if row["source"] == site}
    expected = urls(demo, site, "articles")
    assert not stored & urls(demo, site, "not_articles"), "list/feed/chrome pages stored"
    assert sorted(stored - expected) == [], "stored pages that are no articles"
    assert sorted(expected - stored) == [], "expected articles missing"


def test_no_article_is_stored_twice(demo: Demo) -> None:
    for key in ("url", "canonical_url"):
        counts = Counter(row[key] for row in demo.first.articles)
        assert [url for url, n in counts.items() if n > 1] == []
    total = sum(len(site_expectations(site)["articles"]) for site in SITES)
    assert demo.first.summary["all"]["new"] == str(len(demo.first.articles))
    assert len(demo.first.articles) <= total


def expected_title(entry: dict[str, Any]) -> str:
    """The stored title: the stated one, simplified where the fixture gives a simplified form
    (the demo sources keep the default ``keep_traditional: false``)."""
    return str(entry.get("title_simplified") or entry["title"])


@pytest.mark.parametrize(("site", "entry"), article_params("title"))
def test_article_title_matches(demo: Demo, site: str, entry: dict[str, Any]) -> None:
    assert stored_article(demo, site, entry["path"])["title"] == expected_title(entry)


@pytest.mark.parametrize(("site", "entry"), article_params("published"))
def test_article_published_date_matches(demo: Demo, site: str, entry: dict[str, Any]) -> None:
    published = stored_article(demo, site, entry["path"])["published_at"]
    assert published is not None
    assert published[:10] == entry["published"]


@pytest.mark.parametrize(("site", "entry"), article_params("language"))
def test_article_language_matches(demo: Demo, site: str, entry: dict[str, Any]) -> None:
    assert stored_article(demo, site, entry["path"])["language"] == entry["lang"]


@pytest.mark.parametrize("site", SITES)
def test_attachments_are_recorded_and_linked_to_their_articles(demo: Demo, site: str) -> None:
    recorded = {a.url for a in demo.attachments if a.source_id == site}
    assert recorded == urls(demo, site, "attachments")
    assert demo.first.summary[site]["attachments"] == str(len(recorded))
    for entry in site_expectations(site)["articles"]:
        shown = demo.shown.get(demo.base[site] + entry["path"])
        if shown is None:
            continue  # not stored: test_stores_exactly_the_expected_articles says so
        linked = {attachment["url"] for attachment in shown["attachments"]}
        wanted = {demo.base[site] + path for path in entry.get("attachments", [])}
        assert linked == wanted, entry["path"]
    stored_urls = {row["url"] for row in demo.first.articles}
    assert not recorded & stored_urls, "an attachment was stored as an article"


# -- 2. politeness --------------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_robots_txt_comes_first_and_every_request_identifies_us(demo: Demo, site: str) -> None:
    for step, robots in ((demo.first, 1), (demo.second, 0)):  # the second: from the cache
        hits = step.hits[site]
        assert hits, f"{site} was never requested"
        assert (hits[0].target == "/robots.txt") == bool(robots)
        assert [h.target for h in hits].count("/robots.txt") == robots
        assert {h.user_agent.split(" ")[0] for h in hits} == {"forumwatch/0.1"}
        assert {h.method for h in hits} == {"GET"}


@pytest.mark.parametrize("site", SITES)
def test_never_fetch_paths_are_not_requested(demo: Demo, site: str) -> None:
    never = site_expectations(site)["never_fetch"]
    for step in (demo.first, demo.second):
        requested = [h.target for h in step.hits[site]]
        assert [t for t in requested if any(t.startswith(p) for p in never)] == []


@pytest.mark.parametrize("site", SITES)
def test_each_article_page_is_requested_once(demo: Demo, site: str) -> None:
    counts = Counter(h.target for h in demo.first.hits[site])
    paths = [entry["path"] for entry in site_expectations(site)["articles"]]
    assert {path: counts[path] for path in paths} == dict.fromkeys(paths, 1)
    # nothing else twice either, but the faults: a 500 is retried, a redirect loop goes round
    twice = {t: n for t, n in counts.items() if n > 1 and t not in fault_paths(site)}
    assert twice == {}


# -- 3. faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_failed_pages_are_counted_named_and_do_not_stop_the_crawl(demo: Demo, site: str) -> None:
    faults = {demo.base[site] + path for path in fault_paths(site)}
    run = demo.first.runs[site]
    assert run.failed == len(faults)
    assert {error["url"] for error in run.errors} == faults
    assert run.status == ("partial" if faults else "ok")
    assert run.finished_at is not None
    assert demo.first.summary[site]["failed"] == str(len(faults))
    assert demo.first.summary[site]["status"] == run.status
    assert demo.first.sources[site]["failed_in_last_run"] == len(faults)
    for url in faults:
        assert f"failed {site}: {url} (" in demo.first.result.stdout
    stored = {row["url"] for row in demo.first.articles}
    assert not faults & stored
    # the crawl exited 0 (see the fixture) and the site's good articles are there regardless
    assert urls(demo, site, "articles") <= stored


def test_fault_kinds_are_described(demo: Demo) -> None:
    errors = {
        error["url"].split("/", 3)[3]: error["error"]
        for run in demo.first.runs.values()
        for error in run.errors
    }
    described = {f"/{path}": message for path, message in errors.items()}
    for site in SITES:
        expected = site_expectations(site)
        for entry in expected["errors"]:
            message = described[entry["path"]]
            if entry["status"] in (301, 302):
                assert "redirect" in message.lower(), message
            else:
                assert message == f"HTTP {entry['status']}"
        for entry in expected["oversized"]:
            assert "max size" in described[entry["path"]], described[entry["path"]]


# -- 4. incremental crawl -------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_second_crawl_requests_only_list_pages_and_feeds(demo: Demo, site: str) -> None:
    expected = site_expectations(site)
    requested = Counter(h.target for h in demo.second.hits[site])
    articles = {entry["path"] for entry in expected["articles"]}
    assert not set(requested) & (articles | fault_paths(site) | set(expected["attachments"]))
    # and not even a second list page: pagination stops at the first page with nothing unseen
    # and no robots.txt: the first crawl's copy is kept for 24 hours (RFC 9309 2.4)
    assert requested == Counter(expected["start_paths"])


def test_second_crawl_stores_nothing_new(demo: Demo) -> None:
    assert demo.second.result.returncode == 0
    assert demo.second.articles == demo.first.articles
    for site in SITES:
        assert demo.second.summary[site]["new"] == "0"
        assert demo.second.sources[site]["new_in_last_run"] == 0
        assert demo.second.sources[site]["articles"] == demo.first.sources[site]["articles"]
        assert demo.second.runs[site].id != demo.first.runs[site].id
        assert demo.second.runs[site].status == "ok"
    assert demo.second.summary["all"]["new"] == "0"


# -- 6. articles --json ---------------------------------------------------------------------------


def test_articles_json_has_the_documented_fields(demo: Demo) -> None:
    assert demo.first.articles
    for row in demo.first.articles:
        assert set(JSON_FIELDS) <= set(row), row.get("url")
        assert isinstance(row["id"], int)
        assert row["source"] in SITES
        assert row["url"].startswith(demo.base[row["source"]] + "/")
        assert isinstance(row["title"], str) and row["title"]
        assert isinstance(row["text"], str) and row["text"]
        assert row["author"] is None or isinstance(row["author"], str)
        assert row["origin"] is None or isinstance(row["origin"], str)
        assert isinstance(row["language"], str) and row["language"]
        assert isinstance(row["flags"], list) and isinstance(row["topics"], list)
        assert isinstance(row["relevant"], bool) and isinstance(row["story_id"], int)
        published = row["published_at"]
        if published is not None:
            if "T" in published:
                assert datetime.fromisoformat(published).utcoffset() is not None, published
            else:
                date.fromisoformat(published)
        fetched = datetime.fromisoformat(row["fetched_at"])
        assert fetched.utcoffset() is not None and not fetched.utcoffset(), row["fetched_at"]
        assert fetched <= datetime.now(UTC)


def _day(row: dict[str, Any]) -> str:
    return str(row["published_at"] or "")[:10]


def test_articles_are_listed_newest_first(demo: Demo) -> None:
    days = [_day(row) for row in demo.first.articles]
    assert all(days), "every fixture article has a date"
    assert days == sorted(days, reverse=True)


@pytest.mark.parametrize("site", SITES)
def test_articles_source_filter(demo: Demo, site: str) -> None:
    listed = demo.listings[f"source:{site}"]
    assert listed == [row for row in demo.first.articles if row["source"] == site]
    assert listed


def test_articles_since_filter(demo: Demo) -> None:
    listed = demo.listings["since"]
    assert listed == [row for row in demo.first.articles if _day(row) >= "2024-01-01"]
    assert listed and len(listed) < len(demo.first.articles)


def test_articles_limit(demo: Demo) -> None:
    assert demo.listings["limit"] == demo.first.articles[:5]
    assert demo.listings["default"] == demo.first.articles[:20]  # --limit defaults to 20


def test_articles_filters_combine(demo: Demo) -> None:
    portal = [row for row in demo.first.articles if row["source"] == "portal"]
    assert demo.listings["combined"] == [row for row in portal if _day(row) >= "2022-01-01"][:2]


def test_show_json_is_the_article_record_with_its_attachments(demo: Demo) -> None:
    for row in demo.first.articles:
        shown = demo.shown[row["url"]]
        assert isinstance(shown["attachments"], list)
        assert {key: shown.get(key) for key in row} == row  # show may add fields, never change


# -- 7. sources and reextract ---------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_sources_lists_last_run_status_and_article_count(demo: Demo, site: str) -> None:
    row = demo.first.sources[site]
    stored = sum(1 for article in demo.first.articles if article["source"] == site)
    faults = len(fault_paths(site))
    assert row["name"] == site_expectations(site)["name"]
    assert row["status"] == ("partial" if faults else "ok")
    assert row["articles"] == stored
    assert row["new_in_last_run"] == stored
    assert row["failed_in_last_run"] == faults
    assert datetime.fromisoformat(row["last_run"]) == demo.first.runs[site].started_at
    line = next(line for line in demo.sources_text.splitlines() if f" {site} " in line)
    cells = [cell.strip() for cell in re.split(r"[│┃]", line) if cell.strip()]
    assert cells[0] == site
    # id, name, state, since, last run, status, last success, last new article, new, articles,
    # recent errors
    assert cells[2] == row["state"] and cells[5] == row["status"]
    assert cells[-3:-1] == [str(stored), str(stored)]
    assert (cells[-1] == "-") == (faults == 0)
    assert sum(row["errors"].values()) == faults


def test_reextract_runs_over_every_article_and_keeps_the_count(demo: Demo) -> None:
    result = demo.reextract
    assert result.returncode == 0, result.stderr
    count = len(demo.second.articles)
    assert f"re-extracted {count} articles (0 with changed text)" in result.stdout
    assert set(demo.extracted_after) == set(demo.extracted_before)
    assert len(demo.extracted_after) == count
    stale = [i for i, at in demo.extracted_after.items() if at <= demo.extracted_before[i]]
    assert stale == [], "articles reextract did not rewrite"
    assert demo.articles_after_reextract == demo.second.articles


# -- 8. normalization, flags, relevance and stories of the crawled articles -------------------


@pytest.mark.parametrize(("site", "entry"), article_params("relevant"))
def test_article_relevance_matches(demo: Demo, site: str, entry: dict[str, Any]) -> None:
    row = stored_article(demo, site, entry["path"])
    assert row["relevant"] is entry["relevant"]
    assert (row["event"] is not None) is (entry["relevant"] and row["language"] == "zh")


def test_seed_damage_is_flagged_and_normalized(demo: Demo) -> None:
    for site in SITES:
        for entry in site_expectations(site)["articles"]:
            row = stored_article(demo, site, entry["path"])
            if entry.get("seed") == "004":
                assert "spam_injection" in row["flags"], entry["path"]
                assert " 、" not in row["text"] and "来源  :" not in row["text"]
            if entry.get("seed") == "000":
                assert {"traditional_converted", "pinyin_removed"} <= set(row["flags"])
                assert "(jié)" not in row["text"] and "會" not in row["text"]


def _event_links(demo: Demo) -> dict[str, set[tuple[int, int]]]:
    """Event key of _expected.yaml -> the (story, event group) of its relevant Chinese articles."""
    stories = {story["id"]: story for story in demo.stories}
    links: dict[str, set[tuple[int, int]]] = {}
    for site in SITES:
        for entry in site_expectations(site)["articles"]:
            row = stored_article(demo, site, entry["path"])
            if entry.get("event") and row["relevant"] and row["language"] == "zh":
                group = stories[row["story_id"]]["event_group"] or row["story_id"]
                links.setdefault(entry["event"], set()).add((row["story_id"], group))
    return links


def test_every_article_has_exactly_one_story(demo: Demo) -> None:
    ids = [article_id for story in demo.stories for article_id in story["article_ids"]]
    assert sorted(ids) == sorted(row["id"] for row in demo.first.articles)
    for row in demo.first.articles:
        assert row["story_id"] in {story["id"] for story in demo.stories}


def test_the_same_article_on_two_sites_is_one_story(demo: Demo) -> None:
    """``duplicate_of`` in _expected.yaml names the article a page reposts."""
    by_original: dict[str, set[int]] = {}
    for site in SITES:
        for entry in site_expectations(site)["articles"]:
            row = stored_article(demo, site, entry["path"])
            key = str(entry.get("duplicate_of") or f"{site}:{entry['path']}")
            by_original.setdefault(key, set()).add(row["story_id"])
    assert all(len(stories) == 1 for stories in by_original.values())
    multi = [story for story in demo.stories if story["source_count"] > 1]
    assert multi and all(story["article_count"] >= 2 for story in multi)
    assert len(demo.stories) == len(by_original), "articles without a repost must not merge"


def test_write_ups_of_one_event_are_linked_and_other_events_are_not(demo: Demo) -> None:
    links = _event_links(demo)
    groups = {key: {group for _, group in pairs} for key, pairs in links.items()}
    assert all(len(found) == 1 for found in groups.values()), groups
    every = [group for found in groups.values() for group in found]
    assert len(every) == len(set(every)), "two events share an event group"


def test_show_lists_story_siblings(demo: Demo) -> None:
    for row in demo.first.articles:
        shown = demo.shown[row["url"]]
        story = next(story for story in demo.stories if story["id"] == row["story_id"])
        same_story = {s["id"] for s in shown["siblings"] if s["story_id"] == row["story_id"]}
        assert same_story == set(story["article_ids"]) - {row["id"]}


def test_explain_shows_the_rules_that_fired(demo: Demo) -> None:
    relevant = next(row for row in demo.first.articles if row["relevant"])
    output = invoke(demo.config, "explain", str(relevant["id"]))
    assert "relevant" in output and "event_in_title" in output
    irrelevant = next(row for row in demo.first.articles if row["relevant"] is False)
    assert "not relevant" in invoke(demo.config, "explain", str(irrelevant["id"]))
