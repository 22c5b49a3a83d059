"""The seen-URL filter (``crawler.crawl.middlewares.seen``) and the spider's side of it.

The filter answers each ``ListedLinks`` with one database question for its articles (and one for
its attachments), before the spider's callback resumes; an article is requested once per crawl;
the failed URLs due for a retry follow the start requests; walked chains are answered. The
spider decides on pagination from the answer alone. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.config import ConfigError, parse_config
from crawler.crawl.configure import use_config
from crawler.crawl.items import AttachmentItem, ListedLinks
from crawler.crawl.middlewares.seen import SeenUrlFilter
from crawler.crawl.store import CrawlStore
from crawler.crawl.tally import CrawlTally
from crawler.discover.urls import canonicalize
from spiders.sources import SourceSpider
from storage.models import SourceWalk, UrlRecord

START = "http://s.example/list/"
SOURCES = [
    {"id": "s", "name": "S", "start_urls": [START]},
    {"id": "t", "name": "T", "start_urls": ["http://t.example/"]},
]


def article(n: int) -> str:
    return f"http://s.example/a/{n}.html"


@dataclass
class Crawl:
    crawler: Crawler
    spider: SourceSpider
    seen: SeenUrlFilter
    store: CrawlStore
    tally: CrawlTally
    questions: list[list[str]]
    """The keys of each question the filter asked of the database, in order (``unseen`` asks
    nothing of an empty list)."""


def make_crawler(db_url: str, sources: str | None = None) -> tuple[Crawler, SourceSpider]:
    crawler = get_crawler(SourceSpider, {"FORUMWATCH_DATABASE_URL": db_url})
    use_config(crawler, parse_config({"database": db_url, "sources": SOURCES}))
    spider = SourceSpider.from_crawler(crawler, sources=sources)
    crawler.spider = spider
    CrawlTally.of(crawler).track(spider.sources)  # as the run recorder does when it opens
    return crawler, spider


@pytest.fixture
def crawl(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Crawl]:
    crawler, spider = make_crawler(db_url)
    store = CrawlStore.of(crawler)
    store.sync_sources(spider.sources.values())
    tally = CrawlTally.of(crawler)
    seen = SeenUrlFilter.from_crawler(crawler)
    questions: list[list[str]] = []
    unseen = store.unseen

    def counted(keys: list[str]) -> list[str]:
        if keys:
            questions.append(list(keys))
        return unseen(keys)

    monkeypatch.setattr(store, "unseen", counted)
    yield Crawl(crawler, spider, seen, store, tally, questions)


def run(iterator: AsyncIterator[Any]) -> list[Any]:
    async def collect() -> list[Any]:
        return [element async for element in iterator]

    return asyncio.run(collect())


def answer(crawl: Crawl, *listings: ListedLinks) -> tuple[list[Any], list[int | None]]:
    """Pass ``listings`` through the filter as one callback would yield them: the outputs, and
    ``requested`` as the callback saw it when it resumed after each yield."""
    seen_on_resume: list[int | None] = []

    async def callback() -> AsyncIterator[Any]:
        for links in listings:
            yield links
            seen_on_resume.append(links.requested)

    response = HtmlResponse(START, body=b"")
    return run(crawl.seen.process_spider_output(response, callback())), seen_on_resume


def links(*numbers: int, **kwargs: Any) -> ListedLinks:
    return ListedLinks("s", {canonicalize(article(n)): article(n) for n in numbers}, **kwargs)


def remember(store: CrawlStore, n: int, state: str, retry_base: timedelta | None = None) -> None:
    """Record article ``n`` in ``state`` (an error is due at once with ``retry_base`` 0)."""
    writer = store if retry_base is None else CrawlStore(store.engine, retry_base=retry_base)
    writer.record_urls([UrlRecord(canonicalize(article(n)), "s", state, error="x")])


def requested_keys(outputs: list[Any]) -> list[str]:
    return [o.meta["link"] for o in outputs if isinstance(o, Request)]


# -- listings -------------------------------------------------------------------------------------


def test_a_listing_is_answered_with_one_question_before_the_callback_resumes(
    crawl: Crawl,
) -> None:
    """Article 1 gone, 2 unknown, 3 failed and not yet due, 4 failed and due; one attachment
    known, one not. Pass: requests for 2 and 4 in listing order, then the unknown attachment;
    one question for the four articles, one for the two attachments; 2 counted as known; the
    callback sees ``requested`` 2 when it resumes."""
    remember(crawl.store, 1, "gone")
    remember(crawl.store, 3, "error")
    remember(crawl.store, 4, "error", retry_base=timedelta(0))
    known_doc, new_doc = "http://s.example/f/known.pdf", "http://s.example/f/new.pdf"
    crawl.store.record_urls([UrlRecord(known_doc, "s", "redirect")])
    documents = {url: AttachmentItem("s", url, url) for url in (known_doc, new_doc)}

    outputs, on_resume = answer(crawl, links(1, 2, 3, 4, attachments=documents))

    assert requested_keys(outputs) == [canonicalize(article(2)), canonicalize(article(4))]
    assert [o for o in outputs if isinstance(o, AttachmentItem)] == [documents[new_doc]]
    assert all(o.callback == crawl.spider.parse_article for o in outputs if isinstance(o, Request))
    assert crawl.questions == [
        [canonicalize(article(n)) for n in (1, 2, 3, 4)],
        [known_doc, new_doc],
    ]
    assert on_resume == [2]
    assert crawl.tally.sources["s"].counts["known_articles"] == 2


def test_an_article_is_requested_once_per_crawl(crawl: Crawl) -> None:
    """Two listings (a list page and a feed) share article 2. Pass: the second asks only about
    article 3, requests it alone, and counts nothing known."""
    outputs, on_resume = answer(crawl, links(1, 2), links(2, 3))
    assert requested_keys(outputs) == [canonicalize(article(n)) for n in (1, 2, 3)]
    assert on_resume == [2, 1]
    assert crawl.questions[-1] == [canonicalize(article(3))]
    assert crawl.tally.sources["s"].counts["known_articles"] == 0


def test_a_limit_defers_the_other_unseen_articles(crawl: Crawl) -> None:
    outputs, on_resume = answer(crawl, links(1, 2, 3, limit=1))
    assert requested_keys(outputs) == [canonicalize(article(1))]
    assert on_resume == [1]
    assert crawl.tally.sources["s"].counts["articles_deferred"] == 2
    # the deferred ones were not marked requested: a later listing still gets them
    outputs, _ = answer(crawl, links(2))
    assert requested_keys(outputs) == [canonicalize(article(2))]


def test_walked_chains_are_answered(crawl: Crawl) -> None:
    start = canonicalize(START)
    crawl.store.record_walks(
        [
            SourceWalk(
                source_id="s",
                start_url=start,
                completed_at=datetime.now(UTC),
                ended_by="end",
                pages=3,
                max_list_pages=20,
            )
        ]
    )
    run(crawl.seen.process_start(_no_start()))
    walked, other, loose = links(walk=start), links(walk="http://s.example/x/"), links()
    answer(crawl, walked, other, loose)
    assert (walked.walked, other.walked, loose.walked) == (True, False, False)


async def _no_start() -> AsyncIterator[Any]:
    return
    yield


def test_due_retries_follow_the_start_requests_and_are_not_requested_twice(
    crawl: Crawl,
) -> None:
    remember(crawl.store, 5, "error", retry_base=timedelta(0))
    remember(crawl.store, 6, "error")  # not due yet
    start_request = Request(START)

    async def start() -> AsyncIterator[Any]:
        yield start_request

    outputs = run(crawl.seen.process_start(start()))
    assert outputs[0] is start_request
    assert requested_keys(outputs[1:]) == [canonicalize(article(5))]
    assert outputs[1].url == article(5) and outputs[1].meta["fw_kind"] == "article"
    listed, on_resume = answer(crawl, links(5))
    assert requested_keys(listed) == [] and on_resume == [0]


def test_other_outputs_pass_untouched(crawl: Crawl) -> None:
    request, item = Request("http://s.example/next"), {"any": "item"}

    async def callback() -> AsyncIterator[Any]:
        yield request
        yield item

    response = HtmlResponse(START, body=b"")
    assert run(crawl.seen.process_spider_output(response, callback())) == [request, item]
    assert crawl.questions == []


# -- the spider's side ----------------------------------------------------------------------------

LIST_PAGE = b"""<html><body><ul>
<li><a href="/a/1.html">first article title long enough</a></li>
<li><a href="/a/2.html">second article title long enough</a></li>
</ul><a href="/list/index_1.html">next page</a></body></html>"""


def list_response(walk: str | None) -> HtmlResponse:
    meta = {"fw_source": "s", "fw_kind": "list", "page": 1, "walk": walk}
    return HtmlResponse(START, body=LIST_PAGE, request=Request(START, meta=meta))


@pytest.mark.parametrize(
    ("requested", "walked", "walk", "reads_on"),
    [
        (0, True, START, False),  # nothing unseen on a walked chain: stop
        (0, False, START, True),  # the chain was never walked to its end: read on
        (1, True, START, True),  # something unseen: read on
        (0, False, None, False),  # no chain (a sitemap's list page): stop
    ],
)
def test_the_spider_paginates_from_the_filters_answer(
    db_url: str, requested: int, walked: bool, walk: str | None, reads_on: bool
) -> None:
    _, spider = make_crawler(db_url)
    outputs = spider.parse_list(list_response(walk))
    listed = next(outputs)
    assert isinstance(listed, ListedLinks) and listed.walk == walk
    assert list(listed.articles.values()) == [article(1), article(2)]
    listed.requested, listed.walked = requested, walked
    following = [o for o in outputs if isinstance(o, Request)]
    assert [o.url for o in following] == (["http://s.example/list/index_1.html"] * reads_on)


def test_unanswered_links_name_the_missing_middleware(db_url: str) -> None:
    _, spider = make_crawler(db_url)
    outputs = spider.parse_list(list_response(START))
    next(outputs)
    with pytest.raises(RuntimeError, match="SeenUrlFilter"):
        next(outputs)


def test_the_sources_argument_picks_sources_from_the_config(db_url: str) -> None:
    assert list(make_crawler(db_url)[1].sources) == ["s", "t"]
    assert list(make_crawler(db_url, sources=" t, ")[1].sources) == ["t"]
    with pytest.raises(ConfigError, match="unknown source id"):
        make_crawler(db_url, sources="s,nope")
