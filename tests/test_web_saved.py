"""Saving a search from the web UI (no browser; a real uvicorn server read with httpx), on SQLite
and PostgreSQL: an admin saves the search on screen with its filters and channels, which makes
it an alert rule; a reader may list saved searches but not save or delete one; a refused save
says why; crawled and typed text stays text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crawler.alerts.searches import with_saved_searches
from crawler.config import parse_config
from crawler.web.app import create_app
from crawler.web.server import WebServer
from storage import tokens
from storage.db import get_engine, reset_engines, session_scope, upgrade_schema
from storage.saved_searches import list_saved_searches
from tests.web_corpus import Corpus, seed


@pytest.fixture(scope="module")
def site(module_db_url: str) -> Iterator[tuple[str, Corpus, str, Any]]:
    engine = get_engine(module_db_url)
    upgrade_schema(engine)
    corpus = seed(engine)
    with session_scope(engine, write=True) as session:
        _, admin = tokens.create_token(session=session, name="lead", role="admin")
    config = parse_config({"database": module_db_url, "sources": []})
    server = WebServer(create_app(engine, config), port=0)
    server.start()
    try:
        yield server.url, corpus, admin, engine
    finally:
        server.stop()
        reset_engines()


def _client(base: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=10, cookies={"fw_token": token})


def test_an_admin_saves_the_search_on_screen_as_an_alert_rule(
    site: tuple[str, Corpus, str, Any],
) -> None:
    base, corpus, admin, engine = site
    with _client(base, admin) as client:
        page = client.get("/", params={"q": "城投 论坛", "relevant": "yes", "topic": "finance"})
        assert page.status_code == 200 and 'id="save-search"' in page.text
        saved = client.post(
            "/saved",
            data={
                "name": "城投<b>论坛</b>",
                "q": "城投 论坛",
                "relevant": "yes",
                "topic": "finance",
                "notify": "json://127.0.0.1:9/hook\n\n",
                "mode": "digest",
            },
        )
        assert saved.status_code == 303 and saved.headers["location"] == "/saved"
        listing = client.get("/saved")
        assert "城投&lt;b&gt;论坛&lt;/b&gt;" in listing.text and "<b>论坛</b>" not in listing.text
        assert "search:城投&lt;b&gt;论坛&lt;/b&gt;" in listing.text
        # the name link runs the search with its filters
        assert "/?q=%E5%9F%8E%E6%8A%95" in listing.text and "relevant=yes" in listing.text

        taken = client.post("/saved", data={"name": "城投<b>论坛</b>", "q": "城投"})
        assert taken.status_code == 409 and "exists" in taken.text
        empty = client.post("/saved", data={"name": "空", "q": "  "})
        assert empty.status_code == 422
        bad_channel = client.post("/saved", data={"name": "坏", "q": "城投", "notify": "nope"})
        assert bad_channel.status_code == 422 and "not an alert rule" in bad_channel.text

    with session_scope(engine) as session:
        [row] = [r for r in list_saved_searches(session=session) if r.name == "城投<b>论坛</b>"]
        assert row.query == "城投 论坛" and row.alert_mode == "digest"
        assert row.filters == {"topics": ["finance"], "relevant": True}
        assert row.notify == ["json://127.0.0.1:9/hook"]
        rules = with_saved_searches(parse_config({"sources": []}), session=session).alerts
    assert "search:城投<b>论坛</b>" in [rule.name for rule in rules]

    with _client(base, admin) as client:
        gone = client.post(f"/saved/{row.id}/delete")
        assert gone.status_code == 303
        assert "城投&lt;b&gt;" not in client.get("/saved").text


def test_a_reader_lists_saved_searches_but_cannot_change_them(
    site: tuple[str, Corpus, str, Any],
) -> None:
    base, corpus, admin, engine = site
    with _client(base, admin) as client:
        assert client.post("/saved", data={"name": "峰会", "q": "峰会"}).status_code == 303
    with _client(base, corpus.token) as reader:
        page = reader.get("/", params={"q": "峰会"})
        assert page.status_code == 200 and 'id="save-search"' not in page.text
        assert ">峰会</a>" in reader.get("/saved").text
        refused = reader.post("/saved", data={"name": "读者", "q": "城投"})
        assert refused.status_code == 403 and 'id="save-error"' in refused.text
        with session_scope(engine) as session:
            [row] = [r for r in list_saved_searches(session=session) if r.name == "峰会"]
        assert reader.post(f"/saved/{row.id}/delete").status_code == 403
    with session_scope(engine) as session:
        names = {r.name for r in list_saved_searches(session=session)}
    assert "峰会" in names and "读者" not in names
