"""Shared by the web tests: a corpus stored as a crawl stores it, tokens, an app and its client."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from bench.zhtext import CITIES, Writer
from crawler.config import Config, SourceConfig, parse_config
from crawler.crawl.store import CrawlStore
from crawler.web.app import create_app
from storage import tokens
from storage.db import session_scope
from storage.models import NewArticle, NewAttachment
from tests.articles import new_article

SOURCES = [
    {"id": "a", "name": "甲站", "start_urls": ["https://a.example/"], "tags": ["gov"]},
    {"id": "b", "name": "乙站", "start_urls": ["https://b.example/"]},
    {"id": "c", "name": "丙站", "start_urls": ["https://c.example/"], "tags": ["gov"]},
]
HOSTILE_TITLE = '<script>alert("x")</script>城投 & ]]> <b>论坛</b>'


def text_of(n: int, topic: str) -> str:
    """A body unique to ``n`` (no two are near-duplicates), opening with ``topic``."""
    writer = Writer(random.Random(n), CITIES[n % len(CITIES)])
    return topic + "\n" + "\n".join(writer.body(datetime(2024, 5, 1), "news", 400))


def entry(n: int, title: str, text: str, published: date | None) -> dict[str, Any]:
    return {"id": f"p{n}", "title": title, "text": text, "published": published}


def article(
    n: int, source: str, heading: str, body: str, published: date | None, **fields: Any
) -> NewArticle:
    """Article ``n`` as the crawl would store it; ``fields`` replace stored values after."""
    made = new_article(entry(n, heading, body, published), source, n)
    return made.model_copy(update=fields) if fields else made


def corpus() -> list[tuple[NewArticle, list[NewAttachment]]]:
    """A dozen articles: 城投 forums, a repost on another site (one story), an English page, an
    undated one, a hostile title behind a javascript: URL, and one with an attachment."""
    day = date(2024, 5, 1)
    forum = text_of(1, "城投论坛在上海举行。新质生产力成为热词。")
    items: list[tuple[NewArticle, list[NewAttachment]]] = [
        (article(1, "a", "城投论坛开幕", forum, day), []),
        (article(2, "b", "城投论坛开幕（转载）", forum, day + timedelta(days=1)), []),
        (
            article(3, "a", "新质生产力峰会", text_of(3, "新质生产力峰会召开。"), day),
            [
                NewAttachment(
                    source_id="a",
                    url="https://a.example/p3.pdf",
                    canonical_url="https://a.example/p3.pdf",
                    title="议程.pdf",
                    content_type="application/pdf",
                    size=1234,
                )
            ],
        ),
        (
            article(
                4,
                "c",
                "hostile",
                text_of(4, "城投平台转型。<img src=x onerror=alert(1)>"),
                day - timedelta(days=3),
                url="javascript:alert(1)",
                title=HOSTILE_TITLE,
                text=text_of(4, "城投平台转型。<img src=x onerror=alert(1)>\x0b\ufffe"),
            ),
            [],
        ),
        (
            article(
                5,
                "b",
                "Urban forum",
                "The mayors' forum on urban renewal. " * 5,
                None,
                language="en",
            ),
            [],
        ),
    ]
    for n in range(6, 13):
        topic = "城投债务化解。" if n % 2 else "旧城改造推进。"
        items.append(
            (article(n, "abc"[n % 3], f"第{n}篇", text_of(n, topic), day - timedelta(n)), [])
        )
    return items


def store_corpus(engine: Engine, items: list[tuple[NewArticle, list[NewAttachment]]]) -> None:
    store = CrawlStore(engine)
    store.sync_sources(SourceConfig.model_validate(s) for s in SOURCES)
    store.store_batch(items)


def make_config(engine: Engine, **fields: Any) -> Config:
    return parse_config(
        {"database": engine.url.render_as_string(hide_password=False), "sources": SOURCES, **fields}
    )


def new_token(engine: Engine, role: str) -> str:
    with session_scope(engine, write=True) as session:
        _row, token = tokens.create_token(session=session, name=role, role=role)
    return token


@dataclass
class Web:
    engine: Engine
    config: Config
    client: TestClient
    reader: str
    admin: str

    def get(self, path: str, token: str | None = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or self.reader}"}
        return self.client.get(path, params=params, headers=headers)


@pytest.fixture(name="web")
def web_fixture(engine: Engine) -> Iterator[Web]:
    """The corpus on ``engine``, an app serving it, a reader and an admin token."""
    store_corpus(engine, corpus())
    config = make_config(engine)
    with TestClient(create_app(engine, config)) as client:
        yield Web(engine, config, client, new_token(engine, "reader"), new_token(engine, "admin"))
    # a CLI command run in-process closes the cached engines: this one may have left the cache
    engine.dispose()


def now() -> datetime:
    return datetime.now(UTC)
