"""Source health through real crawls of local sites: three crawls of six sources, then what
``forumwatch sources --json`` shows and which operator alerts were written.

Site A is behind a Jiasule-like shield: every path, robots.txt included, answers 521 with the
cookie script. Site B serves a column behind a Rivers-like 412 page, a healthy column with one
article behind an Aliyun-like 200 challenge, a column that is redesigned after the first crawl
(its list page keeps loading, without article links), a column whose articles have no body and
a column answering 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from storage.health import health_alerts
from storage.models import SourceHealth
from tests.faults.hostile import HostileSite, Reply, crawl, html, source, write_config
from tests.faults.newsroom import (
    ROBOTS_OPEN,
    article_links,
    article_path,
    list_page,
    news_routes,
    page,
)
from tests.fixtures_sites import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "antibot"
JIASULE = (FIXTURES / "jiasule_521_first.html").read_bytes()
RIVERS = (FIXTURES / "rivers_412.html").read_bytes()
ALIYUN = (FIXTURES / "aliyun_acw_200.html").read_bytes()
HOOK = "json://127.0.0.1:9/health"


def thin_article(n: int) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>通知{n}</title></head>"
        f"<body><div class='article'><h1>关于城市更新论坛的通知{n}</h1>"
        "<div class='content'><p>详见附件。</p></div></div></body></html>"
    )


@dataclass
class Outcome:
    crawls: list[Any]
    sources: list[dict[str, dict[str, Any]]]
    """``sources --json`` after the first and third crawl (the stored state after the second),
    by source id."""
    alerts: dict[str, list[dict[str, Any]]]
    table: str


def sources_json(config: Path) -> dict[str, dict[str, Any]]:
    result = run_cli(config, "sources", "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {row["id"]: row for row in rows}


def stored_states(tmp: Path) -> dict[str, dict[str, Any]]:
    engine = create_engine(f"sqlite:///{tmp / 'fw.db'}", poolclass=NullPool)
    try:
        with Session(engine) as session:
            rows = session.exec(select(SourceHealth)).all()
            return {row.source_id: {"state": row.state, "reason": row.reason} for row in rows}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    tmp = tmp_path_factory.mktemp("health")
    redesigned = {"done": False}

    def redesign_list(_request: Any) -> Reply:
        if redesigned["done"]:  # the new template: navigation only, articles loaded by script
            return html(list_page([], extra="<div id='app'>加载中</div><a href='/'>首页</a>"))
        return html(list_page(article_links(range(1, 4), "/redesign")))

    shield = lambda _r: Reply(  # noqa: E731
        521, JIASULE, {"Set-Cookie": "__jsluid_h=0f1e2d3c4b5a69788796a5b4c3d2e1f0; path=/"}
    )
    b_routes = {
        **news_routes(range(1, 4), prefix="/redesign"),
        **news_routes(range(11, 14), prefix="/fine"),
        # one article behind an Aliyun-like 200 challenge stub
        article_path(13, "/fine"): lambda _r: Reply(200, ALIYUN),
        "/redesign/": redesign_list,
        "/rivers/": lambda _r: Reply(412, RIVERS),
        "/down/": lambda _r: Reply(500, b"<h1>Internal Server Error</h1>"),
        "/thin/": page(list_page(article_links(range(21, 24), "/thin"))),
    }
    for n in range(21, 24):
        b_routes[article_path(n, "/thin")] = page(thin_article(n))
    b_routes["/robots.txt"] = lambda _r: Reply(body=ROBOTS_OPEN.encode(), content_type="text/plain")
    with HostileSite({"/*": shield}) as site_a, HostileSite(b_routes) as site_b:
        config = write_config(
            tmp,
            [
                source("jiasule", site_a.url("/news/")),
                source("rivers", site_b.url("/rivers/")),
                source("redesign", site_b.url("/redesign/")),
                source("thin", site_b.url("/thin/")),
                source("down", site_b.url("/down/")),
                source("fine", site_b.url("/fine/")),
            ],
            health={"notify": [HOOK], "failing_after": 2},
        )
        crawls, shown = [], []
        for round_ in range(3):
            if round_ == 1:
                redesigned["done"] = True
            crawls.append(crawl(config, timeout=120))
            # the CLI after the first and last crawls; the stored states in between
            shown.append(sources_json(config) if round_ != 1 else stored_states(tmp))
        table = run_cli(config, "sources", timeout=60).stdout
    engine = create_engine(f"sqlite:///{tmp / 'fw.db'}", poolclass=NullPool)
    with Session(engine) as session:
        alerts = {
            sid: [dict(a) for a in health_alerts(session=session, source_id=sid)]
            for sid in ("jiasule", "rivers", "redesign", "thin", "down", "fine")
        }
    engine.dispose()
    yield Outcome(crawls, shown, alerts, table)


def test_crawls_ran(outcome: Outcome) -> None:
    for result in outcome.crawls:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert "source health not judged" not in result.stderr


def test_shielded_sites_are_blocked_from_the_first_crawl(outcome: Outcome) -> None:
    for sid, shield in (("jiasule", "jiasule"), ("rivers", "rivers")):
        row = outcome.sources[0][sid]
        assert row["state"] == "blocked", row
        assert shield in row["reason"]
        assert row["errors"].get("blocked", 0) >= 1
        assert row["articles"] == 0
        # one alert when it entered the state, none for the runs that stayed blocked
        assert [(a["from"], a["to"]) for a in outcome.alerts[sid]] == [(None, "blocked")]
        assert outcome.sources[2][sid]["state"] == "blocked"


def test_a_redesigned_list_page_makes_the_source_broken_after_two_runs(outcome: Outcome) -> None:
    states = [shown["redesign"]["state"] for shown in outcome.sources]
    assert states == ["ok", "ok", "broken"]
    assert "no article link" in outcome.sources[2]["redesign"]["reason"]
    assert outcome.sources[0]["redesign"]["articles"] == 3
    assert [(a["from"], a["to"]) for a in outcome.alerts["redesign"]] == [("ok", "broken")]


def test_empty_bodies_make_the_source_degraded(outcome: Outcome) -> None:
    row = outcome.sources[0]["thin"]
    assert row["state"] == "degraded", row
    assert "3 of the last 3 new articles" in row["reason"]
    assert outcome.sources[2]["thin"]["state"] == "degraded"
    assert len(outcome.alerts["thin"]) == 1


def test_a_failing_source_and_a_healthy_one(outcome: Outcome) -> None:
    assert [shown["down"]["state"] for shown in outcome.sources] == ["ok", "failing", "failing"]
    down = outcome.sources[2]["down"]
    assert down["last_success"] is None
    assert down["errors"].get("HTTP 500", 0) == 3
    assert "consecutive failed runs" in down["reason"]
    assert [(a["from"], a["to"]) for a in outcome.alerts["down"]] == [("ok", "failing")]
    fine = outcome.sources[2]["fine"]
    # the challenged article was not stored, counted as blocked, and the source stays ok
    assert fine["state"] == "ok" and fine["articles"] == 2
    assert fine["errors"] == {"blocked": 1}
    assert fine["last_success"] is not None and fine["last_new_article"] is not None
    assert outcome.alerts["fine"] == []


def test_the_table_shows_states_and_reasons(outcome: Outcome) -> None:
    for word in ("blocked", "broken", "degraded", "failing", "ok", "jiasule"):
        assert word in outcome.table
