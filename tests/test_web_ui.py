"""The web UI end to end in a real browser: Playwright driving Debian's ``chromium`` against a
real uvicorn server (``crawler.web.server.WebServer``) over a SQLite database of realistic and
hostile articles (``tests.web_corpus``).

A reader signs in with a token, searches, opens an article, follows it to its story, checks
the source health page, switches language and sees what is new since the last visit. Nothing
from crawled pages may run: no dialog ever opens, the hostile text shows literally, a
``javascript:`` URL is no link, and every page carries the Content-Security-Policy. Each page is
saved as a screenshot in ``tests/screenshots/`` (gitignored; the path is printed).

Skipped when chromium or playwright is missing, unless ``FORUMWATCH_REQUIRE_SERVICES=1``.
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.config import parse_config
from crawler.web.app import create_app
from crawler.web.server import WebServer
from storage import queries
from storage.db import get_engine, reset_engines, session_scope, upgrade_schema
from tests.web_corpus import HOSTILE_TITLE, JAVASCRIPT_URL, Corpus, seed

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TIMEOUT_MS = 10_000


def _chromium() -> str:
    """The system chromium, or skip (fail when services are required)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = []
    if chromium is None:
        missing.append("chromium (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("FORUMWATCH_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{message} (FORUMWATCH_REQUIRE_SERVICES=1)", pytrace=False)
        pytest.skip(message)
    assert chromium is not None
    return chromium


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Corpus, Any]]:
    """The web app on a free port over a seeded database: (base URL, corpus, engine)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'forumwatch.db'}"
    engine = get_engine(url)
    upgrade_schema(engine)
    corpus = seed(engine)
    server = WebServer(create_app(engine, parse_config({"database": url, "sources": []})), port=0)
    server.start()
    try:
        yield server.url, corpus, engine
    finally:
        server.stop()
        reset_engines()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


class Reader:
    """A browser tab of one reader, recording any dialog (a script that ran) it sees."""

    def __init__(self, context: Any, base: str) -> None:
        self.context = context
        self.base = base
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        assert response is not None
        return response

    def login(self, token: str) -> None:
        self.goto("/login")
        self.page.fill("#token", token)
        self.page.click("button[type=submit].primary")
        self.page.wait_for_url(self.base + "/")

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path


@pytest.fixture
def reader(browser: Any, served: tuple[str, Corpus, Any]) -> Iterator[Reader]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 800})
    try:
        yield Reader(context, served[0])
    finally:
        context.close()


def test_pages_need_a_token_and_login_sets_a_strict_httponly_cookie(
    reader: Reader, served: tuple[str, Corpus, Any]
) -> None:
    _, corpus, _ = served
    reader.goto(f"/articles/{corpus.forum}")
    assert reader.page.url.startswith(reader.base + "/login?next=")
    reader.shot("login")
    reader.page.fill("#token", "fw_not-a-token")
    reader.page.click("button[type=submit].primary")
    assert reader.page.locator(".error").is_visible()
    assert reader.page.url == reader.base + "/login"

    reader.page.fill("#token", corpus.token)
    reader.page.click("button[type=submit].primary")
    reader.page.wait_for_url(reader.base + f"/articles/{corpus.forum}")  # back where it was sent
    (cookie,) = [c for c in reader.context.cookies() if c["name"] == "fw_token"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert reader.page.evaluate("document.cookie").find("fw_token") == -1

    reader.page.click(".logout button")
    reader.page.wait_for_url(reader.base + "/login")
    reader.goto("/sources")
    assert reader.page.url.startswith(reader.base + "/login")


def test_search_open_an_article_and_follow_it_to_its_story(
    reader: Reader, served: tuple[str, Corpus, Any]
) -> None:
    _, corpus, _ = served
    reader.login(corpus.token)
    reader.page.fill("input[name=q]", "城投论坛")
    reader.page.click(".query button")
    reader.page.wait_for_url("**/?q=*")
    titles = reader.page.locator(".result h3").all_inner_texts()
    assert HOSTILE_TITLE in titles  # literally, tags and all
    assert reader.page.locator(".result mark", has_text="城投论坛").count() >= 2
    reader.shot("search")

    # filters: a source narrows the results; a date range past every article empties them
    reader.page.select_option("select[name=source]", "assoc_city")
    reader.page.click(".query button")
    reader.page.wait_for_url("**source=assoc_city*")
    assert reader.page.locator(".result h3").all_inner_texts() == ["城投论坛在杭州召开（转载）"]
    reader.page.fill("input[name=since]", "2030-01-01")
    reader.page.click(".query button")
    assert reader.page.locator(".result").count() == 0
    assert reader.page.locator(".empty").is_visible()

    reader.goto("/?q=城投论坛")
    reader.page.click(f"a[href='/articles/{corpus.hostile}']")
    reader.page.wait_for_url(f"**/articles/{corpus.hostile}")
    page = reader.page
    assert page.inner_text("h1#title") == HOSTILE_TITLE
    assert '<img src=x onerror="alert(2)">' in page.inner_text(".text")
    assert page.locator("main img, main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert JAVASCRIPT_URL in page.inner_text("#original")
    assert page.locator("#original a").count() == 0
    assert page.inner_text("#siblings").find("城投论坛在杭州召开（转载）") >= 0
    reader.shot("article-hostile")

    response = reader.goto(f"/articles/{corpus.forum}")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    original = page.locator("#original a")
    assert original.get_attribute("href") == "http://gov_hz.example/forum.html"
    assert "noopener" in (original.get_attribute("rel") or "")
    reader.shot("article")

    page.click("#story-link")
    page.wait_for_url(f"**/stories/{corpus.forum_story}")
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 2
    assert set(page.locator("table.grid tbody td:first-child").all_inner_texts()) >= {
        "杭州市人民政府 可能的原文",
        "中国城市发展研究会",
    }
    assert page.get_attribute("#original-article", "href") == f"/articles/{corpus.forum}"
    reader.shot("story")

    reader.goto(f"/stories/{corpus.hostile_story}")
    assert page.locator("a[href^='javascript']").count() == 0
    assert HOSTILE_TITLE in page.inner_text("table.grid")

    reader.goto(f"/articles/{corpus.notice}")
    attachments = page.locator("#attachments")
    assert attachments.locator("a[href='http://gov_hz.example/tj.pdf']").count() == 1
    assert "<b>恶意附件</b>" in attachments.inner_text()
    assert attachments.locator("b").count() == 0
    assert reader.dialogs == []


def test_source_health_page(reader: Reader, served: tuple[str, Corpus, Any]) -> None:
    reader.login(served[1].token)
    response = reader.goto("/sources")
    assert "content-security-policy" in response.headers
    rows = {
        row.locator("td").first.inner_text().split("\n")[-1]: row
        for row in reader.page.locator("table.grid tbody tr").all()
    }
    assert set(rows) == {"gov_hz", "news_sh", "assoc_city"}
    failing = rows["news_sh"].inner_text()
    assert "失败" in failing and "HTTP 503" in failing and "TimeoutError × 1" in failing
    assert "正常" in rows["gov_hz"].inner_text()
    reader.shot("sources")
    reader.page.click("a[href='/alerts']")
    reader.page.wait_for_url("**/alerts")
    assert HOSTILE_TITLE in reader.page.inner_text("#alerts")
    reader.shot("alerts")
    assert reader.dialogs == []


def test_language_switch_is_remembered(reader: Reader, served: tuple[str, Corpus, Any]) -> None:
    reader.login(served[1].token)
    assert reader.page.inner_text(".bar").find("搜索") >= 0
    reader.page.click("#lang-switch")
    reader.page.wait_for_url("**lang=en*")
    assert "Search" in reader.page.inner_text(".bar")
    assert reader.page.get_attribute("html", "lang") == "en"
    assert reader.page.get_attribute("input[name=q]", "placeholder", timeout=TIMEOUT_MS)
    reader.shot("search-en")
    reader.goto("/sources")  # no ?lang=: the cookie remembers
    assert reader.page.inner_text("h1") == "Source health"
    reader.shot("sources-en")
    reader.goto(f"/articles/{served[1].forum}")
    assert "Published" in reader.page.inner_text(".facts")
    reader.shot("article-en")
    reader.page.click("#lang-switch")
    assert reader.page.inner_text("h1") != "" and "发布日期" in reader.page.inner_text(".facts")


def test_new_since_last_visit(reader: Reader, served: tuple[str, Corpus, Any]) -> None:
    base, corpus, engine = served
    reader.login(corpus.token)
    reader.goto("/new")
    # a first visit: the articles of the last days are new (the seed fetched five 2 days ago)
    assert reader.page.locator(".result").count() == 4
    assert reader.page.locator(".result .badge.new").count() == 4
    reader.shot("new")

    # the reader leaves; an hour later a crawl stores an article; then the reader comes back
    left = datetime.now(UTC) - timedelta(hours=1)
    reader.context.add_cookies(
        [{"name": "fw_seen", "value": str(int(left.timestamp())), "url": base}]
    )
    with session_scope(engine, write=True) as session:
        from tests.web_corpus import _article

        fresh = _article(
            "fresh",
            "gov_hz",
            "城市更新论坛今日闭幕",
            "城市更新论坛今日在杭州闭幕。",
            "2025-06-01",
            fetched_at=datetime.now(UTC) - timedelta(minutes=5),
        )
        queries.store_articles(session=session, articles=[fresh])
    reader.goto("/new")
    assert reader.page.locator(".result h3").all_inner_texts() == ["城市更新论坛今日闭幕"]
    assert "1" in reader.page.inner_text("#new-count")
    reader.shot("new-after-visit")
    # within the same visit it stays new, and the search page marks it too
    reader.goto("/")
    marked = reader.page.locator(".result.is-new h3").all_inner_texts()
    assert marked == ["城市更新论坛今日闭幕"]
    assert reader.dialogs == []
