"""The HTTP API through FastAPI's TestClient, on SQLite and PostgreSQL: tokens and roles, the
article, search, story, source and alert routes (their records equal the CLI's ``--json``),
cursor pages under concurrent inserts, saved searches, security headers."""

from __future__ import annotations

import json
import re
import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from crawler.cli import app as cli_app
from crawler.web.app import CONTENT_SECURITY_POLICY
from storage import tokens
from storage.db import reset_engines, session_scope
from tests.web_fixtures import (  # noqa: F401 (the web fixture)
    HOSTILE_TITLE,
    SOURCES,
    Web,
    article,
    new_token,
    text_of,
    web_fixture,
)

runner = CliRunner()


def cli_json(web: Web, tmp_path: Any, *args: str) -> list[dict[str, Any]]:
    """Lines of a CLI command's --json output, on the same database."""
    return [json.loads(line) for line in cli_output(web, tmp_path, *args, "--json").splitlines()]


def cli_output(web: Web, tmp_path: Any, *args: str) -> str:
    """What a CLI command prints on stdout, on the same database."""
    config = tmp_path / "forumwatch.yaml"
    url = web.engine.url.render_as_string(hide_password=False)
    sources = "".join(
        f"- id: {s['id']}\n  name: {s['name']}\n  start_urls: ['{s['start_urls'][0]}']\n"
        f"  tags: {json.dumps(s.get('tags', []))}\n"
        for s in SOURCES
    )
    config.write_text(f"database: {url}\nsources:\n{sources}", encoding="utf-8")
    result = runner.invoke(cli_app, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def route_paths(web: Web) -> list[tuple[str, str]]:
    """(method, concrete path) of every API and feed route, from the OpenAPI schema."""
    found = []
    for path, operations in web.client.get("/openapi.json").json()["paths"].items():
        concrete = path.replace("{name}", "x")
        for name in ("article_id", "story_id", "search_id"):
            concrete = concrete.replace("{" + name + "}", "1")
        found += [(method.upper(), concrete) for method in operations]
    return found


ADMIN_ROUTES = {("POST", "/api/saved-searches"), ("DELETE", "/api/saved-searches/1")}


def test_every_route_needs_a_token_and_changes_need_an_admin(web: Web) -> None:
    routes = route_paths(web)
    assert len(routes) >= 14 and set(routes) >= ADMIN_ROUTES
    revoked = new_token(web.engine, "admin")
    with session_scope(web.engine, write=True) as session:
        row = tokens.find_token(session=session, token=revoked)
        assert row is not None and row.id is not None
        assert tokens.revoke_token(session=session, token_id=row.id)
    for method, path in routes:
        if path == "/api/health":
            assert web.client.request(method, path).status_code == 200
            continue
        for headers in ({}, {"Authorization": f"Bearer {revoked}"}, {"Authorization": "Bearer x"}):
            answer = web.client.request(method, path, headers=headers, json={})
            assert answer.status_code == 401, (method, path, headers)
            assert answer.headers["www-authenticate"] == "Bearer"
        # a token in the URL counts for feeds only
        answer = web.client.request(method, path, params={"token": web.reader}, json={})
        assert (answer.status_code != 401) == path.startswith("/feeds"), (method, path)
        as_reader = web.client.request(
            method,
            path,
            headers={"Authorization": f"Bearer {web.reader}"},
            params={"q": "城投"},
            json={},
        )
        if (method, path) in ADMIN_ROUTES:
            assert as_reader.status_code == 403
        else:
            assert as_reader.status_code in (200, 404), (method, path, as_reader.text)
    # the UI's cookie is a token too
    web.client.cookies.set("fw_token", web.reader)
    assert web.client.get("/api/articles").status_code == 200
    web.client.cookies.clear()


def test_tokens_are_stored_hashed(web: Web) -> None:
    """Neither token appears anywhere in the database, in any table; its SHA-256 does."""
    dump = []
    with web.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dump.append(" ".join(map(str, row)))
    everything = "\n".join(dump)
    for token in (web.reader, web.admin):
        assert token not in everything and token[3:20] not in everything
        assert tokens.hash_token(token) in everything


def test_articles_equal_the_cli_records_and_filters_apply(web: Web, tmp_path: Any) -> None:
    page = web.get("/api/articles", limit=100).json()
    assert page["next_cursor"] is None
    assert page["items"] == cli_json(web, tmp_path, "articles", "--limit", "100")
    assert len(page["items"]) == 12
    by_source = web.get("/api/articles", source=["b"]).json()["items"]
    assert {item["source"] for item in by_source} == {"b"} and len(by_source) == 4
    gov = web.get("/api/articles", tag="gov", since="2024-04-28", until="2024-05-01").json()
    assert {(i["source"], i["published_at"]) for i in gov["items"]} == {
        ("a", "2024-05-01"),
        ("c", "2024-04-28"),
    }
    english = web.get("/api/articles", language="en").json()["items"]
    assert [item["title"] for item in english] == ["Urban forum"]
    assert english[0]["published_at"] is None
    bad = web.get("/api/articles", cursor="not a cursor")
    assert bad.status_code == 400
    assert web.get("/api/articles", since="yesterday").status_code == 422
    assert web.get("/api/articles", limit=1000).status_code == 422


def test_article_detail_has_attachments_and_siblings(web: Web, tmp_path: Any) -> None:
    items = web.get("/api/articles", limit=100).json()["items"]
    ids = {item["title"]: item["id"] for item in items}
    detail = web.get(f"/api/articles/{ids['新质生产力峰会']}").json()
    assert detail["attachments"] == [
        {
            "url": "https://a.example/p3.pdf",
            "title": "议程.pdf",
            "content_type": "application/pdf",
            "size": 1234,
        }
    ]
    original = web.get(f"/api/articles/{ids['城投论坛开幕']}").json()
    assert [s["id"] for s in original["siblings"]] == [ids["城投论坛开幕（转载）"]]
    [shown] = cli_json(web, tmp_path, "show", str(ids["城投论坛开幕"]))
    assert original == shown
    assert web.get("/api/articles/999999").status_code == 404


def test_stories_list_every_site_and_the_likely_original(web: Web, tmp_path: Any) -> None:
    stories = web.get("/api/stories", min_sources=2).json()
    assert stories == cli_json(web, tmp_path, "stories", "--min-sources", "2")
    [forum] = [s for s in stories if s["title"] == "城投论坛开幕"]
    story = web.get(f"/api/stories/{forum['id']}").json()
    assert story["sources"] == ["a", "b"] and story["source_count"] == 2
    assert {(a["source"], a["is_original"]) for a in story["articles"]} == {
        ("a", True),
        ("b", False),
    }
    assert story["original"]["source"] == "a"
    assert web.get("/api/stories/999999").status_code == 404


def test_stories_list_newest_first_by_earliest_publication_day_in_api_and_cli(
    web: Web, tmp_path: Any
) -> None:
    stories = web.get("/api/stories").json()
    # the undated page counts by its fetch day (2025); two stories of 1 May: the one first
    # seen later first, though its repost on b is dated 2 May; then older days, though
    # those stories were first seen later
    assert [s["title"] for s in stories] == [
        "Urban forum",
        "新质生产力峰会",
        "城投论坛开幕",
        HOSTILE_TITLE,
        *(f"第{n}篇" for n in range(6, 13)),
    ]
    assert [s["earliest_published"] for s in stories[:4]] == [
        None,
        "2024-05-01",
        "2024-05-01",
        "2024-04-28",
    ]
    assert stories == cli_json(web, tmp_path, "stories")
    table = cli_output(web, tmp_path, "stories")
    ids = [int(found) for found in re.findall(r"^\S\s*(\d+)\s*\S", table, flags=re.MULTILINE)]
    assert ids == [s["id"] for s in stories]


def test_search_equals_the_cli_with_snippets_and_pages(web: Web, tmp_path: Any) -> None:
    for query, options in (
        ("城投", {}),
        ("城投 OR 新质生产力", {"source": ["a", "c"]}),
        ('"城投论坛" -转载', {}),
        ("债务", {"since": "2024-04-01", "relevant": "false"}),
        ("forum", {"language": ["en"]}),
    ):
        answer = web.get("/api/search", q=query, limit=50, **options).json()
        args = [
            f"--{k}={v}"
            for k, vs in options.items()
            for v in (vs if isinstance(vs, list) else [vs])
        ]
        args = [a.replace("--relevant=false", "--irrelevant") for a in args]
        expected = cli_json(web, tmp_path, "search", query, "--limit", "50", *args)
        got = [
            {k: v for k, v in item.items() if k != "title_highlights"} for item in answer["items"]
        ]
        assert got == expected, query
        for item in answer["items"]:  # every hit shows where its terms are
            assert item["highlights"] or item["title_highlights"], (query, item["id"])
    # pages of 2 by cursor give the same list as one page
    whole = [i["id"] for i in web.get("/api/search", q="城投", limit=50).json()["items"]]
    seen: list[int] = []
    cursor = None
    while True:
        page = web.get("/api/search", q="城投", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == whole and len(whole) >= 5
    assert [i["id"] for i in web.get("/api/search", q="城投", offset=2).json()["items"]] == whole[
        2:
    ]
    hostile = web.get("/api/search", q="' OR 1=1-- NEAR( title: * % _").json()
    assert hostile["items"] == []
    assert web.get("/api/search", q="   ").status_code == 400
    assert web.get("/api/search", q="x" * 10_000).status_code == 200


def test_cursor_pages_list_every_article_once_while_articles_are_stored(web: Web) -> None:
    """Pages of 3 while another thread stores 40 more articles (some dated between, some
    before, some after the articles listed): every article present at the start is listed
    exactly once, no article twice."""
    before = {item["id"] for item in web.get("/api/articles", limit=100).json()["items"]}
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        from crawler.crawl.store import CrawlStore

        store = CrawlStore(web.engine)
        try:
            for n in range(100, 140):
                day = None if n % 5 == 0 else date(2024, 5 - n % 3, n % 27 + 1)
                store.store_batch(
                    [(article(n, "abc"[n % 3], f"新{n}", text_of(n, "插入。"), day), [])]
                )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = web.get("/api/articles", **params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    thread.join(60)
    assert not errors and done.is_set()
    assert len(seen) == len(set(seen))
    assert before <= set(seen)
    # and a listing after the writer ends has them all, in the order of a single page
    final = web.get("/api/articles", limit=100).json()["items"]
    assert len(final) == 52


def test_sources_and_alerts(web: Web, tmp_path: Any) -> None:
    sources = web.get("/api/sources").json()
    assert [s["id"] for s in sources] == ["a", "b", "c"]
    assert sources == cli_json(web, tmp_path, "sources")
    assert web.get("/api/alerts").json() == []
    assert web.get("/api/alerts", state="bogus").status_code == 422


def test_saved_searches_need_an_admin_and_mask_channels(web: Web) -> None:
    admin = {"Authorization": f"Bearer {web.admin}"}
    body = {
        "name": "城投论坛",
        "query": "城投 论坛",
        "filters": {"sources": ["a", "b"], "since": "2024-01-01"},
        "notify": ["json://user:secret@127.0.0.1:9/hook"],
    }
    reader = {"Authorization": f"Bearer {web.reader}"}
    assert web.client.post("/api/saved-searches", json=body, headers=reader).status_code == 403
    created = web.client.post("/api/saved-searches", json=body, headers=admin)
    assert created.status_code == 201, created.text
    saved = created.json()
    assert saved["alert_rule"] == "search:城投论坛"
    assert saved["feed"] == f"/feeds/search/{saved['id']}.xml"
    assert saved["filters"]["sources"] == ["a", "b"] and saved["filters"]["since"] == "2024-01-01"
    assert "secret" not in json.dumps(web.get("/api/saved-searches").json())
    assert web.get(f"/api/saved-searches/{saved['id']}").json()["name"] == "城投论坛"
    again = web.client.post("/api/saved-searches", json=body, headers=admin)
    assert again.status_code == 409
    for broken in (
        {**body, "name": "x", "notify": ["nonsense"]},
        {**body, "name": "y", "query": "  "},
        {**body, "name": "z", "filters": {"since": "May"}},
        {**body, "name": "w", "filters": {"colour": "red"}},
        {**body, "name": "bad\x07name"},
    ):
        answer = web.client.post("/api/saved-searches", json=broken, headers=admin)
        assert answer.status_code == 422, broken
    path = f"/api/saved-searches/{saved['id']}"
    assert web.client.delete(path, headers=reader).status_code == 403
    assert web.client.delete(path, headers=admin).status_code == 204
    assert web.client.delete(path, headers=admin).status_code == 404
    assert web.get("/api/saved-searches").json() == []


def test_security_headers_on_every_kind_of_answer(web: Web) -> None:
    for answer in (
        web.client.get("/api/health"),
        web.client.get("/api/articles"),
        web.get("/api/articles"),
        web.get("/api/articles/999999"),
        web.get("/feeds/search/1.xml"),
        web.client.get("/openapi.json"),
    ):
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"


def test_openapi_schema_describes_the_records(web: Web) -> None:
    schema = web.client.get("/openapi.json").json()
    assert {
        "/api/articles",
        "/api/search",
        "/api/stories/{story_id}",
        "/feeds/rule/{name}.xml",
    } <= set(schema["paths"])
    article = schema["components"]["schemas"]["ArticleOut"]["properties"]
    assert {"id", "title", "published_at", "story_id", "topics"} <= set(article)
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


@pytest.fixture(autouse=True)
def _engines() -> Any:
    yield
    reset_engines()
